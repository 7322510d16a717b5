// Lloyd's algorithm: alternate the assignment step (nearest centroid, chunked matrix products
// from nearest.ts) and the update step (each centroid to the mean of its rows), re-seeding
// empty clusters, until no label changes, the centroids move less than the tolerance, or the
// iteration limit.
import { type Tensor, tensor, zeros, empty, tidy, keep, dispose, clusterKernels } from '../engine/index.js';
import { rank, worldSize } from '../distributed/index.js';
import { CentroidTable, forEachChunk, KERNEL_BLOCK_ROWS, type KMeansKernel } from './nearest.js';
import { rowsFromOwners, sumAcross, sumTensorAcross, type RowShard } from './shard.js';
import type { KMeansProgress, KMeansRun } from './kmeans.js';

/**
 * What the runs share: the data, its size, and the tolerance scaled to the data. In a group of
 * processes (sharded) x is this rank's rows, n their count, and the assignment step's sums,
 * counts and inertia are summed across ranks, so every rank takes the same steps.
 */
export interface KMeansContext {
  x: Tensor;
  /** ||x||^2 of every row, float32 [n]. */
  xSq: Tensor;
  /** Rows in x (this rank's). */
  n: number;
  /** Where x's rows lie in the whole matrix. */
  shard: RowShard;
  /** Whether reductions run across the ranks of a group. */
  sharded: boolean;
  dim: number;
  k: number;
  /** The assignment step's kernel (nearest.ts): 'fused' on the CPU, 'ops' on any device. */
  kernel: KMeansKernel;
  chunkRows: number;
  maxIter: number;
  tolScaled: number;
  report: (e: Omit<KMeansProgress, 'run' | 'nInit' | 'maxIter'>) => void;
}

/** scikit-learn's tolerance: tol x mean over features of the (population) variance, over every rank's rows. */
export function scaledTolerance(x: Tensor, tol: number, chunkRows: number, shard?: RowShard): number {
  if (tol === 0) return 0;
  const [rows, dim] = x.shape as [number, number];
  const n = shard?.total ?? rows;
  return tidy(() => {
    const sum = zeros([dim], { dtype: 'float64', device: x.device });
    const sumSq = zeros([dim], { dtype: 'float64', device: x.device });
    forEachChunk(rows, chunkRows, (s, b) =>
      tidy(() => {
        const c = x.narrow(0, s, b).to('float64');
        sum.add_(c.sum(0));
        sumSq.add_(c.square().sum(0));
      }),
    );
    if (shard) [sum, sumSq].forEach(sumTensorAcross);
    const mean = sum.div(n);
    return sumSq.div(n).sub(mean.square()).mean().item() * tol;
  });
}

interface Assigned {
  labels: Tensor; // int64 [N]
  sqDist: Tensor; // float32 [N], ||x - c_label||^2
  inertia: number;
  sums?: Tensor; // float64 [K, D], per-cluster sums of rows
  counts?: Float64Array; // [K]
}

/**
 * The assignment step: nearest centroids for all rows, their squared distances (from the
 * expansion in nearest.ts; the inertia is their sum in float64), and optionally per-cluster
 * sums and counts for the update step.
 */
export function assignStep(ctx: KMeansContext, centroids: Tensor, accumulate: boolean): Assigned {
  const { x, n, k, dim, chunkRows } = ctx;
  const table = new CentroidTable(centroids, ctx.kernel);
  const device = x.device;
  try {
    return tidy(() => {
      const labels = empty([n], { dtype: 'int64', device });
      const sqDist = empty([n], { device });
      const sums = accumulate ? zeros([k, dim], { dtype: 'float64', device }) : undefined;
      const counts = accumulate ? zeros([k], { dtype: 'int64', device }) : undefined;
      const acc = sums && counts ? { sums, counts } : undefined;
      let inertia = 0;
      // The fused kernel takes all rows in one call when its blocks align with the chunks (the
      // same labels as per chunk, see defaultChunkRows): each call wakes the threads twice.
      const callRows = ctx.kernel === 'fused' && chunkRows % KERNEL_BLOCK_ROWS === 0 ? Math.max(n, 1) : chunkRows;
      forEachChunk(n, callRows, (s, b) =>
        tidy(() => {
          inertia += table.nearestInto(x.narrow(0, s, b), ctx.xSq.narrow(0, s, b), labels.narrow(0, s, b), sqDist.narrow(0, s, b), acc);
        }),
      );
      let countsAll = counts ? Float64Array.from(counts.data() as BigInt64Array, Number) : undefined;
      if (ctx.sharded) {
        // Every rank's sums, counts and inertia: the same update on every rank.
        if (sums) sumTensorAcross(sums);
        const reduced = sumAcross([inertia, ...(countsAll ?? [])]);
        inertia = reduced[0]!;
        if (countsAll) countsAll = Float64Array.from(reduced.slice(1));
      }
      return { labels, sqDist, inertia, sums, counts: countsAll };
    });
  } finally {
    table.dispose();
  }
}

/**
 * Sum of ||x - c_label||^2 computed from the differences in float64, free of the cancellation in
 * the expansion ||x||^2 - 2 x.c + ||c||^2 that the assignment step uses: native with no
 * temporaries (kernel 'fused'), else by chunks of tensor ops.
 */
export function exactInertia(ctx: KMeansContext, centroids: Tensor, labels: Tensor): number {
  let local = 0;
  if (ctx.kernel === 'fused') {
    local = tidy(() => clusterKernels.assignedSqDistanceSum(ctx.x.contiguous(), centroids.to('float32').contiguous(), labels.contiguous()));
  } else {
    forEachChunk(ctx.n, ctx.chunkRows, (s, b) => tidy(() => {
      const c = centroids.indexSelect(0, labels.narrow(0, s, b)).to('float64');
      local += ctx.x.narrow(0, s, b).to('float64').sub(c).square().sum().item();
    }));
  }
  return ctx.sharded ? sumAcross([local])[0]! : local;
}

/**
 * The m rows farthest from their centroids over every rank, farthest first: global indices and
 * labels. Each rank offers its own m farthest (distance, global index, label); the ranks sum
 * the offers into one table (zeros elsewhere) and sort it the same way.
 */
function farthestRows(ctx: KMeansContext, a: Assigned, m: number): { ids: number[]; labels: number[] } {
  if (!ctx.sharded) {
    return tidy(() => {
      const far = a.sqDist.topk(m, 0, true, true).indices;
      return { ids: Array.from(far.data() as BigInt64Array, Number), labels: Array.from(a.labels.indexSelect(0, far).data() as BigInt64Array, Number) };
    });
  }
  const { shard } = ctx;
  const mine = Math.min(m, ctx.n);
  const offers = tidy(() => {
    const table = new Float64Array(4 * m * worldSize()); // [rank][m][offered, distance, index, label]
    if (mine > 0) {
      const far = a.sqDist.topk(mine, 0, true, true);
      const d = far.values.data() as Float32Array;
      const ids = far.indices.data() as BigInt64Array;
      const labels = a.labels.indexSelect(0, far.indices).data() as BigInt64Array;
      const base = 4 * m * rank();
      for (let i = 0; i < mine; i++) table.set([1, d[i]!, Number(ids[i]!) + shard.start, Number(labels[i]!)], base + 4 * i);
    }
    return sumAcross(Array.from(table));
  });
  const rows: [d: number, id: number, label: number][] = [];
  for (let i = 0; i < offers.length; i += 4) if (offers[i] === 1) rows.push([offers[i + 1]!, offers[i + 2]!, offers[i + 3]!]);
  rows.sort((p, q) => q[0] - p[0] || p[1] - q[1]);
  const top = rows.slice(0, m);
  return { ids: top.map((r) => r[1]), labels: top.map((r) => r[2]) };
}

/**
 * Re-seeds empty clusters as scikit-learn does: each empty cluster takes the row farthest from
 * its centroid (largest squared distance first) whose own cluster keeps at least one row; that
 * row becomes the centroid, and the sums, counts and labels are updated to the move. Each move
 * lowers the inertia (the moved row's distance becomes 0). Returns the number re-seeded.
 */
function reseedEmpty(ctx: KMeansContext, a: Assigned): number {
  const counts = a.counts!;
  const emptyIds: number[] = [];
  counts.forEach((c, j) => c === 0 && emptyIds.push(j));
  if (emptyIds.length === 0) return 0;
  const total = ctx.shard.total;
  let m = Math.min(total, 2 * emptyIds.length + 64);
  for (;;) {
    const moved = tidy(() => {
      const { ids: farIds, labels: farLabels } = farthestRows(ctx, a, m); // farthest rows first
      const taken: [row: number, from: number, to: number][] = [];
      const left = [...emptyIds];
      for (let i = 0; i < farIds.length && left.length > 0; i++) {
        if (counts[farLabels[i]!]! <= 1) continue;
        const to = left.shift()!;
        counts[farLabels[i]!]!--;
        counts[to] = 1;
        taken.push([farIds[i]!, farLabels[i]!, to]);
      }
      if (left.length > 0) {
        for (const [, from, to] of taken) { // undo; retry with more candidates
          counts[from]!++;
          counts[to] = 0;
        }
        return null;
      }
      const xs = rowsFromOwners(ctx.x, ctx.shard, taken.map(([row]) => row)); // on every rank
      taken.forEach(([row, from, to], j) => {
        const xr = xs.narrow(0, j, 1);
        a.sums!.narrow(0, from, 1).sub_(xr);
        a.sums!.narrow(0, to, 1).copy_(xr);
        const local = row - ctx.shard.start;
        if (local < 0 || local >= ctx.n) return; // another rank's row
        a.labels.narrow(0, local, 1).fill_(to);
        a.sqDist.narrow(0, local, 1).fill_(0);
      });
      return taken.length;
    });
    if (moved !== null) return moved;
    if (m === total) throw new Error(`k-means: cannot re-seed ${emptyIds.length} empty clusters`); // unreachable when N >= K
    m = Math.min(total, m * 4);
  }
}

/** One Lloyd run from the given initial centroids (which it takes over and disposes). */
export function lloyd(ctx: KMeansContext, init: Tensor): Omit<KMeansRun, 'seed' | 'seconds'> & { centroids: Tensor; labels: Tensor } {
  let centroids = keep(init);
  let prev: Tensor | undefined; // labels after the previous update
  const history: number[] = [];
  let iterations = 0;
  let converged = false;
  let reseeded = 0;
  let final: Assigned | undefined;
  try {
    for (let it = 0; it < ctx.maxIter; it++) {
      const a = assignStep(ctx, centroids, true);
      keep(a.labels);
      history.push(a.inertia);
      let changed = ctx.shard.total;
      if (prev !== undefined) {
        changed = tidy(() => prev!.ne(a.labels).sum().item());
        if (ctx.sharded) changed = sumAcross([changed])[0]!;
      }
      ctx.report({ phase: 'iteration', iteration: it + 1, inertia: a.inertia, changed });
      iterations++;
      if (changed === 0) {
        // The centroids are already the means of these clusters: nothing will move.
        converged = true;
        final = a;
        dispose([a.sums, a.sqDist]);
        break;
      }
      const next = tidy(() => {
        reseeded += reseedEmpty(ctx, a);
        const counts = tensor(a.counts!, { dtype: 'float64', device: ctx.x.device }).unsqueeze(1);
        const c = a.sums!.div(counts).to('float32'); // every count is >= 1 after re-seeding
        return { c, shift: c.sub(centroids).square().sum().to('float64').item() };
      });
      dispose([a.sums, a.sqDist, centroids, prev]);
      centroids = keep(next.c);
      prev = a.labels;
      if (next.shift <= ctx.tolScaled) {
        converged = true;
        break;
      }
    }
    if (final === undefined) {
      // Labels and inertia for the last centroids (scikit-learn does the same final E-step).
      final = assignStep(ctx, centroids, false);
      keep(final.labels);
      final.sqDist.dispose();
      history.push(final.inertia);
    }
    const inertia = exactInertia(ctx, centroids, final.labels);
    return { centroids, labels: final.labels, inertia, iterations, converged, inertiaHistory: history, reseeded };
  } catch (err) {
    dispose([centroids, final?.labels]);
    throw err;
  } finally {
    if (prev !== final?.labels) prev?.dispose();
  }
}

