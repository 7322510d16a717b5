// Gaussian blobs from a seeded JS generator (independent of libtorch's), for clustering tests.
import { rng } from '../helpers/random.js';

export interface Blobs {
  /** Rows, n x dim, row-major. */
  data: Float32Array;
  /** The blob each row came from. */
  truth: Int32Array;
  centers: Float64Array;
  n: number;
  dim: number;
}

/** `perBlob` rows around each of `k` centres drawn uniformly in [-spread, spread]^dim, unit variance per coordinate. */
export function gaussianBlobs(k: number, perBlob: number, dim: number, opts: { seed?: number; spread?: number; std?: number } = {}): Blobs {
  const r = rng(opts.seed ?? 1);
  const spread = opts.spread ?? 20, std = opts.std ?? 1;
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()); // Box-Muller
  const centers = Float64Array.from({ length: k * dim }, () => (2 * r() - 1) * spread);
  const n = k * perBlob;
  const data = new Float32Array(n * dim);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = i % k; // interleaved, so blobs are not contiguous in the rows
    truth[i] = j;
    for (let d = 0; d < dim; d++) data[i * dim + d] = centers[j * dim + d]! + std * normal();
  }
  return { data, truth, centers, n, dim };
}

/** Sum of squared distances of rows to the means of their true blobs (in float64). */
export function trueInertia(b: Blobs): number {
  const k = b.centers.length / b.dim;
  const mean = new Float64Array(k * b.dim), count = new Float64Array(k);
  for (let i = 0; i < b.n; i++) {
    count[b.truth[i]!]!++;
    for (let d = 0; d < b.dim; d++) mean[b.truth[i]! * b.dim + d]! += b.data[i * b.dim + d]!;
  }
  for (let j = 0; j < k; j++) for (let d = 0; d < b.dim; d++) mean[j * b.dim + d]! /= count[j]!;
  let s = 0;
  for (let i = 0; i < b.n; i++) for (let d = 0; d < b.dim; d++) s += (b.data[i * b.dim + d]! - mean[b.truth[i]! * b.dim + d]!) ** 2;
  return s;
}

/** Inertia of given centroids and labels, recomputed in float64 in JS. */
export function inertiaOf(data: Float32Array, dim: number, centroids: Float32Array, labels: BigInt64Array): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) {
    const c = Number(labels[i]);
    for (let d = 0; d < dim; d++) s += (data[i * dim + d]! - centroids[c * dim + d]!) ** 2;
  }
  return s;
}
