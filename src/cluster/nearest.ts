// Nearest centroid by batched matrix products, in row chunks so memory stays bounded:
// ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2, so the nearest c maximises x.c - ||c||^2 / 2,
// one [B, D] x [D, K] product per chunk of B rows (never an N x K matrix).
import { type Tensor, empty, tidy, keep } from '../engine/index.js';

/** Elements of the [B, K] float32 score matrix one chunk may hold (32 MiB; sets the default chunk rows). */
export const CHUNK_SCORES = 8 * 2 ** 20;

/**
 * Rows per chunk for K centroids: B x K scores within CHUNK_SCORES, between 1,024 and 16,384
 * rows (measured here: chunks of a few thousand rows keep the scores in cache; much smaller
 * ones pay per-op and thread wake-up costs). Assignments made with the same chunk rows are
 * bit-identical, so k-means and later pseudo-labelling use this same rule.
 */
export function defaultChunkRows(k: number): number {
  return Math.max(1024, Math.min(16_384, Math.floor(CHUNK_SCORES / Math.max(1, k))));
}

/** Centroids prepared for repeated queries: C^T [D, K] and ||c||^2 / 2 as a [1, K] row. */
export class CentroidTable {
  readonly k: number;
  readonly dim: number;
  readonly #cT: Tensor;
  readonly #halfSqNorm: Tensor;

  constructor(centroids: Tensor) {
    const [k, dim] = centroids.shape as [number, number];
    if (centroids.ndim !== 2) throw new Error(`centroids must be a K x D matrix, got shape [${centroids.shape.join(', ')}]`);
    this.k = k;
    this.dim = dim;
    [this.#cT, this.#halfSqNorm] = tidy(() => {
      const c = centroids.to('float32');
      return [keep(c.t().contiguous()), keep(c.square().sum(1, true).t().mul(0.5).contiguous())];
    });
  }

  /**
   * For one chunk x [B, D]: labels (int64 [B]) of the nearest centroids and their squared
   * distances (float32 [B]) from the expansion, clamped at 0. `xSq` ([B], ||x||^2) may be
   * passed when it is already known.
   */
  nearest(x: Tensor, xSq?: Tensor): { labels: Tensor; sqDist: Tensor } {
    return tidy(() => {
      const scores = x.mm(this.#cT).sub_(this.#halfSqNorm); // x.c - ||c||^2 / 2, [B, K]
      const { values, indices } = scores.max(1);
      const sqDist = (xSq ?? x.square().sum(1)).sub(values.mul_(2)).clamp_(0);
      return { labels: indices, sqDist };
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

/** Nearest centroid of every row of x [N, D] (float32), chunk by chunk. */
export function assignNearest(x: Tensor, centroids: Tensor, opts: { chunkRows?: number } = {}): Assignment {
  if (x.ndim !== 2) throw new Error(`assignNearest: x must be an N x D matrix, got shape [${x.shape.join(', ')}]`);
  const [n, dim] = x.shape as [number, number];
  const table = new CentroidTable(centroids);
  try {
    if (table.dim !== dim) throw new Error(`assignNearest: the data has ${dim} columns, the centroids ${table.dim}`);
    const chunkRows = opts.chunkRows ?? defaultChunkRows(table.k);
    const labels = empty([n], { dtype: 'int64' });
    const sqDist = empty([n]);
    forEachChunk(n, chunkRows, (s, b) =>
      tidy(() => {
        const r = table.nearest(x.narrow(0, s, b));
        labels.narrow(0, s, b).copy_(r.labels);
        sqDist.narrow(0, s, b).copy_(r.sqDist);
      }),
    );
    return { labels, sqDist };
  } finally {
    table.dispose();
  }
}
