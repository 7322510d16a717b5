// Initial centroids for k-means: k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's
// greedy variant: 2 + floor(ln K) candidates per step, keep the one that lowers the potential
// most) or K distinct random rows. Random draws come from a JS Rng, never libtorch's global
// generator, so a seed alone fixes the result.
import { type Tensor, tensor, tidy, keep, cat } from '../engine/index.js';
import { Rng } from '../data/rng.js';

/** `count` distinct integers from [0, n), in draw order (a partial Fisher-Yates shuffle). */
export function sampleWithoutReplacement(rng: Rng, n: number, count: number): Int32Array {
  if (count > n) throw new RangeError(`cannot draw ${count} distinct rows out of ${n}`);
  const swapped = new Map<number, number>(); // sparse view of the shuffled array
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(n - i);
    const vj = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out[i] = vj;
  }
  return out;
}

const rowsOf = (x: Tensor, idx: ArrayLike<number>): Tensor =>
  x.indexSelect(0, tensor(Int32Array.from(idx), { dtype: 'int64' }));

/** K distinct rows of x chosen uniformly at random, float32 [K, D]. */
export function randomInit(x: Tensor, k: number, rng: Rng): Tensor {
  return tidy(() => rowsOf(x, sampleWithoutReplacement(rng, x.shape[0]!, k)).to('float32').contiguous());
}

/**
 * Greedy k-means++ on the rows of x [n, D] (float32): the first centroid is a uniformly random
 * row; each next one is the best of `localTrials` rows drawn with probability proportional to
 * their squared distance to the nearest centroid chosen so far. Returns float32 [K, D].
 */
export function kmeansPlusPlus(x: Tensor, k: number, rng: Rng, opts: { localTrials?: number } = {}): Tensor {
  const n = x.shape[0]!;
  if (k > n) throw new RangeError(`k-means++: k = ${k} is more than the ${n} rows`);
  const trials = opts.localTrials ?? 2 + Math.floor(Math.log(k));
  return tidy(() => {
    const xSq = keep(x.square().sum(1)); // ||x||^2, [n]
    const sqDistTo = (rows: Tensor): Tensor => // [n, m] squared distances of every x to m rows
      tidy(() => x.mm(rows.t()).mul_(-2).add_(xSq.unsqueeze(1)).add_(rows.square().sum(1).unsqueeze(0)).clamp_(0));
    const chosen: Tensor[] = [];
    let closest: Tensor | undefined; // [n] squared distance to the nearest chosen centroid
    try {
      const first = rowsOf(x, [rng.int(n)]);
      chosen.push(keep(first));
      closest = keep(sqDistTo(first).squeeze(1));
      for (let c = 1; c < k; c++) {
        const next = tidy(() => {
          const cdf = closest!.to('float64').cumsum(0); // [n]
          const total = cdf.select(0, n - 1).item();
          let candidates: Tensor;
          if (total > 0) {
            // Inverse-CDF draws: index = number of cdf entries below u * total.
            const u = tensor(Float64Array.from({ length: trials }, () => rng.next() * total));
            candidates = cdf.unsqueeze(1).lt(u.unsqueeze(0)).sum(0).clamp(null, n - 1);
          } else {
            // Every row coincides with a chosen centroid: any rows will do.
            candidates = tensor(Int32Array.from({ length: trials }, () => rng.int(n)), { dtype: 'int64' });
          }
          const rows = x.indexSelect(0, candidates); // [trials, D]
          const newClosest = sqDistTo(rows).minimum(closest!.unsqueeze(1)); // [n, trials]
          const best = newClosest.sum(0).argmin().item();
          return { row: rows.narrow(0, best, 1).clone(), closest: newClosest.select(1, best).contiguous() };
        });
        chosen.push(keep(next.row));
        closest.dispose();
        closest = keep(next.closest);
      }
      return cat(chosen, 0).to('float32').contiguous();
    } finally {
      xSq.dispose();
      closest?.dispose();
      for (const t of chosen) t.dispose();
    }
  });
}
