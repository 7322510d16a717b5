// Feature extraction over a group of processes: the N images are cut into the batches one
// process would run ([0, B), [B, 2B), ...), rank r runs the contiguous batches
// [r nb / W, (r + 1) nb / W) into a shard file beside the output, and after a barrier rank 0
// streams the shards, in rank order, into the one N x D .npy (NpyWriter: a temporary file, then a
// rename), removes them, and writes the sidecar last. Each image goes through the same batch as
// in one process, so the file is byte-identical to one process's. The shards must be on a
// file system every rank sees (one machine, or a shared folder).
import { rmSync } from 'node:fs';
import { NpyWriter, readNpyRows } from '../io/npy.js';
import { tensor, tidy } from '../engine/index.js';
import { allReduce, barrier, rank, worldSize } from '../distributed/index.js';
import type { ImageSource } from '../data/loader/index.js';
import type { FeatureSource } from './source.js';
import { extractRows, rowsToExtract, writeFeaturesSidecar, type ExtractOptions, type FeaturesInfo, type RowRange } from './extract.js';

/** Rank r's rows of n images in batches of b: whole batches, contiguous, [r nb / W, (r + 1) nb / W). */
export function batchAlignedRange(n: number, batchSize: number, r: number, w: number): RowRange {
  const nb = Math.ceil(n / batchSize);
  const first = Math.floor((r * nb) / w), last = Math.floor(((r + 1) * nb) / w);
  return { start: Math.min(n, first * batchSize), end: Math.min(n, last * batchSize) };
}

/** Where rank r of w writes its rows of `out`. */
export const shardPath = (out: string, r: number, w: number): string => `${out}.rank${r}-of-${w}.npy`;

/** Rows of a shard copied per read while assembling: about 16 MiB. */
export const COPY_ROWS = (dim: number) => Math.max(1, Math.floor((4 << 20) / Math.max(1, dim)));

/** extractFeatures over the ranks of the group; rank 0 returns the sidecar, the others null. */
export async function extractSharded(source: FeatureSource, images: ImageSource, out: string, o: ExtractOptions = {}): Promise<FeaturesInfo | null> {
  const n = rowsToExtract(images, o.limit);
  const w = worldSize(), me = rank();
  const dim = source.dim(images.shape);
  const t0 = performance.now();
  const started = new Date().toISOString();
  const mine = shardPath(out, me, w);
  const bad = await extractRows(source, images, mine, batchAlignedRange(n, o.batchSize ?? 256, me, w), { ...o, quiet: o.quiet || me !== 0 }).then(
    () => 0,
    (e: Error) => {
      process.stderr.write(`features: rank ${me} failed: ${e.message}\n`);
      return 1;
    },
  );
  barrier();
  const failed = tidy(() => {
    const t = tensor([bad]);
    allReduce(t, 'sum'); // the ranks that failed
    return t.item();
  });
  try {
    if (failed > 0) throw new Error(`features: ${failed} of ${w} ranks failed to extract their shard`);
    if (me !== 0) return null;
    const writer = new NpyWriter(out, { dtype: 'float32', shape: [n, dim] });
    try {
      for (let r = 0; r < w; r++) {
        const { start, end } = batchAlignedRange(n, o.batchSize ?? 256, r, w);
        for (let s = 0; s < end - start; s += COPY_ROWS(dim)) {
          writer.append(readNpyRows(shardPath(out, r, w), s, Math.min(COPY_ROWS(dim), end - start - s)).data as Float32Array);
        }
      }
      writer.close();
    } catch (e) {
      writer.abort();
      throw e;
    }
    return writeFeaturesSidecar(source, images, out, n, { seconds: (performance.now() - t0) / 1000, started }, o);
  } finally {
    if (me === 0) for (let r = 0; r < w; r++) rmSync(shardPath(out, r, w), { force: true });
  }
}
