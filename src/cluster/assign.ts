// Pseudo-labels from saved centroids: map rows through the saved preprocessor, then take the
// nearest centroid. Chunks follow the clustering's `chunkRows`, so labelling the set that was
// clustered reproduces its assignments exactly, and any other set gets the same rule
// (the paper's ImageNet clusters used to label another dataset).
import { type Tensor, empty, tidy } from '../engine/index.js';
import { NpyWriter } from '../io/npy.js';
import { CentroidTable, defaultChunkRows, forEachChunk } from './nearest.js';
import type { Preprocessor } from './preprocess.js';
import { featuresHeader, readFeatureRows } from './features.js';

export interface Centroids {
  /** float32 [K, D'] in the preprocessed space. */
  centroids: Tensor;
  preprocessor: Preprocessor;
  /** Rows per chunk (default: the clustering's, else defaultChunkRows(K)). */
  chunkRows?: number;
}

function checkDims(c: Centroids, dim: number, what: string): void {
  if (dim !== c.preprocessor.config.inputDim) {
    throw new Error(`${what} has ${dim} features per row, the clustering was made on ${c.preprocessor.config.inputDim}`);
  }
}

/** Cluster of every row of x (float32 [N, D], the raw features): int64 [N]. */
export function pseudoLabels(x: Tensor, c: Centroids): Tensor {
  if (x.ndim !== 2) throw new Error(`pseudoLabels: x must be an N x D matrix, got shape [${x.shape.join(', ')}]`);
  checkDims(c, x.shape[1]!, 'the data');
  const n = x.shape[0]!;
  const chunkRows = c.chunkRows ?? defaultChunkRows(c.centroids.shape[0]!);
  const table = new CentroidTable(c.centroids);
  const labels = empty([n], { dtype: 'int64' });
  try {
    forEachChunk(n, chunkRows, (s, b) =>
      tidy(() => {
        const xc = x.narrow(0, s, b);
        const y = c.preprocessor.isIdentity ? xc : c.preprocessor.transformChunk(xc);
        labels.narrow(0, s, b).copy_(table.nearest(y).labels);
      }),
    );
    return labels;
  } catch (err) {
    labels.dispose();
    throw err;
  } finally {
    table.dispose();
  }
}

/**
 * Labels the rows of a features .npy file and writes them as int64 N to `outPath` (atomically),
 * reading and writing chunk by chunk so any N fits. Returns the cluster sizes.
 */
export function pseudoLabelFile(
  featuresPath: string,
  c: Centroids,
  outPath: string,
  opts: { onChunk?: (rowsDone: number, rows: number) => void } = {},
): { n: number; clusterSizes: number[] } {
  const { rows, dim } = featuresHeader(featuresPath);
  checkDims(c, dim, featuresPath);
  const k = c.centroids.shape[0]!;
  const chunkRows = c.chunkRows ?? defaultChunkRows(k);
  const table = new CentroidTable(c.centroids);
  const sizes = new Float64Array(k);
  const out = new NpyWriter(outPath, { dtype: 'int64', shape: [rows] });
  try {
    forEachChunk(rows, chunkRows, (s, b) => {
      const labels = tidy(() => {
        const xc = readFeatureRows(featuresPath, s, b);
        const y = c.preprocessor.isIdentity ? xc : c.preprocessor.transformChunk(xc);
        return table.nearest(y).labels.data() as BigInt64Array;
      });
      for (const l of labels) sizes[Number(l)]!++;
      out.append(labels);
      opts.onChunk?.(s + b, rows);
    });
    out.close();
  } catch (err) {
    out.abort();
    throw err;
  } finally {
    table.dispose();
  }
  return { n: rows, clusterSizes: Array.from(sizes) };
}
