// Mini-batch k-means (Sculley, "Web-scale k-means clustering", WWW 2010), following
// scikit-learn's MiniBatchKMeans: batches drawn with replacement; each centroid moves to the
// running mean of every row ever assigned to it (per-centroid learning rate 1 / count); every
// 10 batches, centroids whose count is below 1% of the largest are re-seeded on batch rows
// drawn with probability proportional to their squared distance; stop after `maxIter` epochs
// or when the smoothed batch inertia has not improved for `maxNoImprovement` batches.
// In a group of processes the batch (drawn by global row index with the shared rng) comes to
// every rank from the rows' owners, so every rank takes the same step as one process would.
import { type Tensor, tensor, zeros, tidy, keep, dispose, where } from '../engine/index.js';
import type { Rng } from '../data/rng.js';
import { assignStep, exactInertia, type KMeansContext } from './lloyd.js';
import { rowsFromOwners, wholeShard } from './shard.js';

const REASSIGNMENT_RATIO = 0.01; // scikit-learn's default reassignment_ratio
const REASSIGN_EVERY = 10;

export function miniBatchKMeans(
  ctx: KMeansContext,
  init: Tensor,
  rng: Rng,
  opts: { batchSize: number; maxNoImprovement: number },
): { centroids: Tensor; labels: Tensor; inertia: number; iterations: number; converged: boolean; inertiaHistory: number[]; reseeded: number } {
  const { x, k } = ctx;
  const n = ctx.shard.total;
  const b = Math.min(opts.batchSize, n);
  const stepsPerEpoch = Math.ceil(n / b);
  const alpha = Math.min(1, (2 * b) / (n + 1)); // scikit-learn's smoothing of the batch inertia
  let centroids = keep(init);
  const device = x.device;
  let weights = keep(zeros([k], { dtype: 'float64', device })); // rows assigned to each centroid so far
  const history: number[] = [];
  let ewa = NaN;
  let best = Infinity;
  let noImprovement = 0;
  let reseeded = 0;
  let epochs = 0;
  let converged = false;
  try {
    for (let step = 0; step < ctx.maxIter * stepsPerEpoch && !converged; step++) {
      const rows = Int32Array.from({ length: b }, () => rng.int(n));
      const uniforms = Float64Array.from({ length: b }, () => rng.next()); // for re-seeding draws
      const next = tidy(() => {
        const xb = rowsFromOwners(x, ctx.shard, rows);
        const xSqB = rowsFromOwners(ctx.xSq.unsqueeze(1), ctx.shard, rows).squeeze(1);
        const a = assignStep({ ...ctx, x: xb, xSq: xSqB, n: b, shard: wholeShard(b), sharded: false }, centroids, true);
        const batchInertia = a.inertia / b;
        const { sqDist, sums } = a as Required<typeof a>;
        const counts = tensor(a.counts!, { dtype: 'float64', device });
        const w = weights.add(counts);
        const moved = centroids.to('float64').mul(weights.unsqueeze(1)).add_(sums).div_(w.clamp(1, null).unsqueeze(1));
        let c = where(counts.gt(0).unsqueeze(1), moved, centroids).to('float32');
        let wNext = w;
        let reseededNow = 0;
        if ((step + 1) % REASSIGN_EVERY === 0) {
          const low = w.lt(w.max().item() * REASSIGNMENT_RATIO);
          let count = low.sum().item();
          if (count > 0) {
            // At most half a batch at once; the centroids with the smallest counts first.
            count = Math.min(count, Math.floor(b / 2));
            const targets = w.topk(count, 0, false, true).indices;
            // Weighted draws without replacement (Efraimidis-Spirakis): the `count` largest log(u) / d^2.
            const keys = tensor(uniforms, { device }).log().div(sqDist.to('float64'));
            const picks = keys.topk(count, 0, true, true).indices;
            c = c.scatter(0, targets.unsqueeze(1).expand(count, ctx.dim), xb.indexSelect(0, picks));
            const isTarget = zeros([k], { device }).scatter(0, targets, 1).gt(0);
            const floor = w.maskedSelect(isTarget.logicalNot()).min().item(); // scikit-learn: the smallest remaining count
            wNext = where(isTarget, floor, w);
            reseededNow = count;
          }
        }
        return { c, w: wNext, batchInertia, reseededNow };
      });
      dispose([centroids, weights]);
      centroids = keep(next.c);
      weights = keep(next.w);
      reseeded += next.reseededNow;
      ewa = Number.isNaN(ewa) ? next.batchInertia : ewa * (1 - alpha) + next.batchInertia * alpha;
      if (ewa < best) {
        best = ewa;
        noImprovement = 0;
      } else if (++noImprovement >= opts.maxNoImprovement) {
        converged = true;
      }
      if ((step + 1) % stepsPerEpoch === 0 || converged) {
        epochs++;
        history.push(ewa * n);
        ctx.report({ phase: 'iteration', iteration: epochs, inertia: ewa * n });
      }
    }
    const final = assignStep(ctx, centroids, false);
    keep(final.labels);
    final.sqDist.dispose();
    history.push(final.inertia);
    return { centroids, labels: final.labels, inertia: exactInertia(ctx, centroids, final.labels), iterations: epochs, converged, inertiaHistory: history, reseeded };
  } catch (err) {
    centroids.dispose();
    throw err;
  } finally {
    weights.dispose();
  }
}
