// Feature matrices on disk: N x D float32 or float64 .npy files, read in row chunks into a
// float32 tensor (or streamed chunk by chunk), with the checks k-means needs.
import { type Tensor, tensor, empty, tidy } from '../engine/index.js';
import { readNpyHeader, readNpyRows, type NpyHeader } from '../io/npy.js';

/**
 * Rows per chunk for passes over N x D rows that only stage data (reading, fitting): about 4M
 * values (16 MiB as float32), between 256 and 16,384 rows, so wide features (D = 4096) do not
 * stage hundreds of MiB per chunk.
 */
export function stagingChunkRows(dim: number): number {
  return Math.max(256, Math.min(16_384, Math.floor(2 ** 22 / Math.max(1, dim))));
}

/** Checks that `path` holds an N x D float matrix with N, D >= 1; returns its header. */
export function featuresHeader(path: string): NpyHeader & { rows: number; dim: number } {
  if (!path.toLowerCase().endsWith('.npy')) throw new Error(`${path}: expected a .npy file of features (N x D float32)`);
  const h = readNpyHeader(path);
  if (h.shape.length !== 2) throw new Error(`${path}: features must be a 2-D N x D matrix, got shape [${h.shape.join(', ')}]`);
  if (h.dtype !== 'float32' && h.dtype !== 'float64') throw new Error(`${path}: features must be float32 or float64, got ${h.dtype}`);
  const [rows, dim] = h.shape as [number, number];
  if (rows < 1 || dim < 1) throw new Error(`${path}: features matrix [${rows}, ${dim}] is empty`);
  if (h.fortranOrder) throw new Error(`${path}: Fortran-order .npy data is not supported; save it with np.ascontiguousarray(arr)`);
  return { ...h, rows, dim };
}

/**
 * Reads rows [start, start + count) as a float32 tensor [count, D], refusing NaN or infinite
 * values (naming the first bad row).
 */
export function readFeatureRows(path: string, start: number, count: number): Tensor {
  const { shape, data } = readNpyRows(path, start, count);
  return tidy(() => {
    const t = tensor(data as Float32Array | Float64Array, { shape, dtype: 'float32' });
    const bad = t.isfinite().logicalNot();
    if (bad.any().item()) {
      const row = bad.sum(1).gt(0).nonzero().select(0, 0).item() + start;
      throw new Error(`${path}: row ${row} holds NaN or infinite values`);
    }
    return t;
  });
}

/**
 * Loads an N x D features file as a float32 tensor, chunk by chunk: every row, or rows
 * [start, start + count) (a rank's shard).
 */
export function loadFeatures(path: string, opts: { chunkRows?: number; start?: number; count?: number } = {}): Tensor {
  const { rows: total, dim } = featuresHeader(path);
  const first = opts.start ?? 0;
  const rows = opts.count ?? total - first;
  if (first < 0 || rows < 0 || first + rows > total) throw new Error(`${path}: rows [${first}, ${first + rows}) are not within its ${total} rows`);
  const out = empty([rows, dim]);
  try {
    const step = opts.chunkRows ?? stagingChunkRows(dim);
    for (let s = 0; s < rows; s += step) {
      const b = Math.min(step, rows - s);
      tidy(() => void out.narrow(0, s, b).copy_(readFeatureRows(path, first + s, b)));
    }
    return out;
  } catch (err) {
    out.dispose();
    throw err;
  }
}
