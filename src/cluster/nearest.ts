// Nearest centroid by batched matrix products: ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2, so the
// nearest c maximises x.c - ||c||^2 / 2. The native kernel (native/src/cluster.cc) does one
// [b, D] x [D, K] product per block of a few hundred to a few thousand rows, picks the maxima
// and, for k-means, adds the rows to their clusters' sums while the block is in cache; memory
// is the [b, K] scores of one block, never an N x K matrix. The kernel is CPU-only; on a CUDA
// device (or when asked for, to check one against the other) the same steps run as plain
// libtorch ops on the chunk: one product, max over the centroids, index_add for the sums.
import { type Device, type Tensor, empty, tidy, keep, clusterKernels, buildInfo } from '../engine/index.js';

/**
 * How the assignment step runs: 'fused', the native kernel (CPU tensors only), or 'ops', libtorch
 * tensor ops on any device (the same labels; sums, distances and inertia equal up to rounding).
 */
export type KMeansKernel = 'fused' | 'ops';

/** 'fused' on the CPU, 'ops' on a CUDA device. */
export const defaultKernel = (device: Device): KMeansKernel => (device === 'cpu' ? 'fused' : 'ops');

/** Checks that `kernel` can run on `device`. */
export function checkKernel(kernel: KMeansKernel, device: Device): void {
  if (kernel !== 'fused' && kernel !== 'ops') throw new Error(`k-means: kernel must be 'fused' or 'ops', got '${String(kernel)}'`);
  if (kernel === 'fused' && device !== 'cpu') throw new Error(`k-means: the fused kernel runs on the CPU only; the data is on ${device} (use kernel 'ops')`);
}

/** Elements of a chunk's [B, K] scores that sets the default chunk rows (8M). */
export const CHUNK_SCORES = 8 * 2 ** 20;

/** Rows of the fused kernel's blocks (native/src/cluster.cc): one product per block. */
export const KERNEL_BLOCK_ROWS = buildInfo().kmeansBlockRows;

/**
 * Rows per chunk for K centroids: B x K within CHUNK_SCORES, between 1,024 and 16,384 rows, a
 * multiple of KERNEL_BLOCK_ROWS. Chunks bound the [B, D] temporaries of the passes around the
 * kernel (preprocessing, the exact inertia) and the rows handed to the 'ops' kernel at once.
 * Assignments made with the same chunk rows are bit-identical, so k-means and later
 * pseudo-labelling use this same rule. The fused kernel's labels depend only on its blocks, so
 * with chunk rows a multiple of the block they are the same whether it is called per chunk or
 * once for all rows (as k-means does: fewer wake-ups of the threads).
 */
export function defaultChunkRows(k: number): number {
  const rows = Math.max(1024, Math.min(16_384, Math.floor(CHUNK_SCORES / Math.max(1, k))));
  return rows - (rows % KERNEL_BLOCK_ROWS);
}

/** Centroids prepared for repeated queries: C^T [D, K] and ||c||^2 / 2 [K]. */
export class CentroidTable {
  readonly k: number;
  readonly dim: number;
  readonly #cT: Tensor;
  readonly #halfSqNorm: Tensor;
  readonly kernel: KMeansKernel;

  /** The centroids on the data's device; `kernel` defaults to defaultKernel(their device). */
  constructor(centroids: Tensor, kernel: KMeansKernel = defaultKernel(centroids.device)) {
    const [k, dim] = centroids.shape as [number, number];
    if (centroids.ndim !== 2) throw new Error(`centroids must be a K x D matrix, got shape [${centroids.shape.join(', ')}]`);
    this.k = k;
    this.dim = dim;
    checkKernel(kernel, centroids.device);
    this.kernel = kernel;
    [this.#cT, this.#halfSqNorm] = tidy(() => {
      const c = centroids.to('float32');
      return [keep(c.t().contiguous()), keep(c.square().sum(1).mul(0.5).contiguous())];
    });
  }

  /**
   * For one chunk x [B, D]: labels (int64 [B]) of the nearest centroids and their squared
   * distances (float32 [B]) from the expansion, clamped at 0. `xSq` ([B], ||x||^2) may be
   * passed when it is already known.
   */
  nearest(x: Tensor, xSq?: Tensor): { labels: Tensor; sqDist: Tensor } {
    const b = x.shape[0]!;
    const labels = empty([b], { dtype: 'int64', device: x.device });
    const sqDist = empty([b], { device: x.device });
    this.nearestInto(x, xSq, labels, sqDist);
    return { labels, sqDist };
  }

  /**
   * As nearest(), writing into labels (int64 [B]) and sqDist (float32 [B]); returns the float64
   * sum of sqDist. With `acc`, also adds each row to its cluster's sum (float64 [K, D]) and count
   * (int64 [K]), in the same pass.
   */
  nearestInto(x: Tensor, xSq: Tensor | undefined, labels: Tensor, sqDist: Tensor, acc?: { sums: Tensor; counts: Tensor }): number {
    if (x.ndim !== 2 || x.shape[1] !== this.dim) throw new Error(`nearest centroid: x must be B x ${this.dim}, got shape [${x.shape.join(', ')}]`);
    if (this.kernel === 'fused') {
      return tidy(() => clusterKernels.nearestCentroidsInto(x.to('float32').contiguous(), xSq?.contiguous(), this.#cT, this.#halfSqNorm, labels, sqDist, acc));
    }
    return tidy(() => {
      const xf = x.to('float32');
      // The kernel's arithmetic: max_c (x.c - ||c||^2 / 2) (the first c on ties), then
      // ||x||^2 - 2 max clamped at 0 (NaN stays NaN).
      const best = xf.mm(this.#cT).sub(this.#halfSqNorm).max(1);
      const d = (xSq ?? xf.square().sum(1)).sub(best.values.mul(2)).clamp(0);
      labels.copy_(best.indices);
      sqDist.copy_(d);
      if (acc) {
        acc.sums.copy_(acc.sums.indexAdd(0, best.indices, xf.to('float64')));
        acc.counts.add_(best.indices.bincount(this.k));
      }
      return d.to('float64').sum().item();
    });
  }

  dispose(): void {
    this.#cT.dispose();
    this.#halfSqNorm.dispose();
  }
}

/** Calls fn(start, rows) for consecutive row chunks of an N-row matrix. */
export function forEachChunk(n: number, chunkRows: number, fn: (start: number, rows: number) => void): void {
  for (let s = 0; s < n; s += chunkRows) fn(s, Math.min(chunkRows, n - s));
}

export interface Assignment {
  /** Index of each row's nearest centroid, int64 [N]. */
  labels: Tensor;
  /** Squared Euclidean distance to it, float32 [N]. */
  sqDist: Tensor;
}

/** Nearest centroid of every row of x [N, D] (float32), chunk by chunk, on x's device. */
export function assignNearest(x: Tensor, centroids: Tensor, opts: { chunkRows?: number; kernel?: KMeansKernel } = {}): Assignment {
  if (x.ndim !== 2) throw new Error(`assignNearest: x must be an N x D matrix, got shape [${x.shape.join(', ')}]`);
  const [n, dim] = x.shape as [number, number];
  const table = new CentroidTable(centroids, opts.kernel);
  try {
    if (table.dim !== dim) throw new Error(`assignNearest: the data has ${dim} columns, the centroids ${table.dim}`);
    const chunkRows = opts.chunkRows ?? defaultChunkRows(table.k);
    const labels = empty([n], { dtype: 'int64', device: x.device });
    const sqDist = empty([n], { device: x.device });
    forEachChunk(n, chunkRows, (s, b) => tidy(() => table.nearestInto(x.narrow(0, s, b), undefined, labels.narrow(0, s, b), sqDist.narrow(0, s, b))));
    return { labels, sqDist };
  } finally {
    table.dispose();
  }
}
