// k-means over a group of processes: each rank holds a contiguous range of the rows, and what
// depends on every row (sums, counts, inertia, sampled rows) is reduced across ranks with c10d's
// allreduce. In one process every function here is the plain local operation, so one process has
// no code path of its own and its results are unchanged. The rows may be on a CUDA device: Gloo
// reduces CPU tensors, so a reduced tensor makes a round trip through the CPU.
import { type Tensor, tensor, zeros, tidy } from '../engine/index.js';
import { allReduce, rank, worldSize } from '../distributed/index.js';

/** This rank's rows of N: [start, end) = [r N / W, (r + 1) N / W), in integer arithmetic. */
export function shardRange(n: number, r = rank(), w = worldSize()): { start: number; end: number } {
  return { start: Math.floor((r * n) / w), end: Math.floor(((r + 1) * n) / w) };
}

/** The rows a rank holds: the global index of its first row, its count, and N over all ranks. */
export interface RowShard {
  start: number;
  rows: number;
  total: number;
}

/** One process holding every row. */
export const wholeShard = (n: number): RowShard => ({ start: 0, rows: n, total: n });

/** Numbers summed across ranks, in float64 (exact for integers below 2^53). */
export function sumAcross(values: number[]): number[] {
  if (worldSize() === 1) return values;
  return tidy(() => {
    const t = tensor(Float64Array.from(values));
    allReduce(t, 'sum');
    return Array.from(t.data() as Float64Array);
  });
}

/** A tensor summed across ranks, in place (a no-op in one process), wherever it is. */
export function sumTensorAcross(t: Tensor): Tensor {
  if (worldSize() === 1) return t;
  if (t.device === 'cpu') allReduce(t, 'sum');
  else tidy(() => {
    const c = t.to('cpu');
    allReduce(c, 'sum');
    t.copy_(c);
  });
  return t;
}

/** int64 row indices on `device`. */
const indexOn = (idx: ArrayLike<number>, device: Tensor['device']): Tensor => tensor(Int32Array.from(idx), { dtype: 'int64', device });

/**
 * Rows of the whole matrix by global index, on every rank: each owner writes its rows into a
 * zero [m, D] tensor and the ranks sum it (adding zeros is exact). x is this rank's [rows, D].
 */
export function rowsFromOwners(x: Tensor, shard: RowShard, idx: ArrayLike<number>): Tensor {
  const local = (i: number) => i - shard.start;
  if (worldSize() === 1) return tidy(() => x.indexSelect(0, indexOn(Array.from(idx, local), x.device)));
  return tidy(() => {
    const m = idx.length;
    const dim = x.shape[1]!;
    let out = zeros([m, dim], { dtype: x.dtype, device: x.device });
    const at: number[] = [], from: number[] = [];
    for (let j = 0; j < m; j++) {
      const i = local(idx[j]!);
      if (i >= 0 && i < shard.rows) at.push(j), from.push(i);
    }
    if (at.length > 0) {
      const to = indexOn(at, x.device).unsqueeze(1).expand(at.length, dim);
      out = out.scatter(0, to, x.indexSelect(0, indexOn(from, x.device)));
    }
    return sumTensorAcross(out);
  });
}

/** Every rank's int64 labels in row order, [N] (this rank's are [rows], at its start). */
export function labelsFromAll(labels: Tensor, shard: RowShard): Tensor {
  if (worldSize() === 1) return labels.clone();
  return tidy(() => {
    const all = zeros([shard.total], { dtype: 'int64', device: labels.device });
    all.narrow(0, shard.start, shard.rows).copy_(labels);
    return sumTensorAcross(all);
  });
}
