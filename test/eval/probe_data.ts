// Synthetic feature matrices for the linear-probe tests, from a seeded JS generator.
import { rng } from '../helpers/random.js';

export interface Split {
  /** rows x dim, row-major. */
  data: Float32Array;
  labels: Int32Array;
  rows: number;
  dim: number;
}

const normalOf = (r: () => number) => () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()); // Box-Muller

/**
 * Standard normal rows labelled by the argmax of a fixed random linear map (the same map for
 * every call with the same mapSeed), keeping only rows whose best score beats the second by
 * `margin` (the scores have standard deviation sqrt(dim)): linearly separable with a margin,
 * classes about equally frequent.
 */
export function argmaxSplit(rows: number, dim: number, classes: number, seed: number, margin = 2, mapSeed = 99): Split {
  const nm = normalOf(rng(mapSeed));
  const w = Float64Array.from({ length: classes * dim }, nm);
  const n = normalOf(rng(seed));
  const data = new Float32Array(rows * dim);
  const labels = new Int32Array(rows);
  const x = new Float32Array(dim);
  for (let i = 0; i < rows; ) {
    for (let d = 0; d < dim; d++) x[d] = n();
    let best = -Infinity, second = -Infinity, label = 0;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += w[c * dim + d]! * x[d]!;
      if (s > best) [second, best, label] = [best, s, c];
      else if (s > second) second = s;
    }
    if (best - second < margin) continue;
    data.set(x, i * dim);
    labels[i++] = label;
  }
  return { data, labels, rows, dim };
}

/** Gaussian blobs (unit variance) around `classes` centres `spread` apart in each coordinate; row i in class i % classes. */
export function blobSplit(rows: number, dim: number, classes: number, seed: number, spread = 6): Split {
  const rc = rng(1234);
  const centers = Float64Array.from({ length: classes * dim }, () => (rc() < 0.5 ? -spread : spread) / 2);
  const n = normalOf(rng(seed));
  const data = new Float32Array(rows * dim);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    labels[i] = i % classes;
    for (let d = 0; d < dim; d++) data[i * dim + d] = centers[labels[i]! * dim + d]! + n();
  }
  return { data, labels, rows, dim };
}

/** Labels uniform over the classes, independent of any features. */
export function randomLabels(rows: number, classes: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: rows }, () => Math.floor(r() * classes));
}

export const matrix = (s: Split) => ({ data: s.data, shape: [s.rows, s.dim] as [number, number] });
