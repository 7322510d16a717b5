// One frozen forward pass over a cache feeds every head: each batch goes through the trunk once,
// every tap asked for is taken from that pass, pooled and appended to its head's matrix. Runs
// in eval mode, under noGrad, channels-last (as feature extraction does), on the trunk's device; the
// features come back to the CPU as Float32Array.
import { F, noGrad, tidy, trimNativeHeap, withPrecision, type Precision, type Tensor } from '../engine/index.js';
import type { ImageSource } from '../data/loader/index.js';
import { Loader } from '../data/loader/index.js';
import { progress } from '../util/progress.js';
import { NpyWriter } from '../io/npy.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { moduleDevice } from '../train/device.js';
import type { EvalModel } from './model.js';
import type { TapHead } from './taps.js';

/**
 * A head's features: rows of `dim` float32 values, one per image in cache order, in memory
 * (`data`) or in an N x dim .npy file (`path`, when they do not fit; `data` is then empty).
 */
export interface HeadFeatures {
  head: TapHead;
  rows: number;
  data: Float32Array;
  path?: string;
}

/** Default of the memory the features of one split may take before they go to disk. */
export const MAX_FEATURE_BYTES = 8 * 2 ** 30;

export interface ExtractHeadsOptions {
  batchSize?: number;
  /** In-memory limit (default MAX_FEATURE_BYTES); above it the heads are written to `dir`. */
  maxBytes?: number;
  /** Folder for the .npy files of heads that do not fit in memory. */
  dir?: string;
  quiet?: boolean;
  /** Progress bar label. */
  label?: string;
  /** 'bf16': the pass under autocast to bfloat16 (the features are float32 either way). */
  precision?: Precision;
  /** Only images [start, end) (default all): one rank's share of a group's pass. */
  range?: { start: number; end: number };
}

/** Every head's features for every image of `cache` (or of `o.range`). */
export async function extractHeads(model: EvalModel, heads: readonly TapHead[], cache: ImageSource & { dir?: string }, o: ExtractHeadsOptions = {}): Promise<HeadFeatures[]> {
  const range = o.range ?? { start: 0, end: cache.count };
  const n = range.end - range.start;
  const bytes = heads.reduce((s, h) => s + 4 * n * h.dim, 0);
  const toDisk = bytes > (o.maxBytes ?? MAX_FEATURE_BYTES);
  if (toDisk && o.dir === undefined) throw new Error(`${cache.dir}: the features of ${heads.length} heads for ${n} images take ${(bytes / 2 ** 30).toFixed(1)} GiB, more than the memory limit, and no folder was given to stream them to`);
  if (toDisk) mkdirSync(o.dir!, { recursive: true });
  const out: HeadFeatures[] = heads.map((head) => (toDisk
    ? { head, rows: n, data: new Float32Array(0), path: join(o.dir!, `${head.name.replace(':', '_')}.npy`) }
    : { head, rows: n, data: new Float32Array(n * head.dim) }));
  const writers = toDisk ? out.map((h) => new NpyWriter(h.path!, { dtype: 'float32', shape: [n, h.head.dim] })) : null;
  const taps = [...new Set(heads.map((h) => h.tap))];
  model.trunk.eval().toMemoryFormat('channelsLast');
  const device = moduleDevice(model.trunk);
  const all = range.start === 0 && range.end === cache.count;
  const loader = new Loader(cache, {
    batchSize: o.batchSize ?? 256, shuffle: false, dtype: 'float32',
    indices: all ? undefined : Int32Array.from({ length: n }, (_, i) => range.start + i),
  });
  const bar = progress(o.label ?? `features ${cache.dir}`, n, { unit: 'img', quiet: o.quiet });
  let row = 0, batches = 0;
  try {
    for await (const batch of loader.epoch(0)) {
      const b = batch.indices.length;
      try {
        noGrad(() =>
          tidy(() => {
            const maps = withPrecision(o.precision, () => model.trunk.features(model.preprocess(batch.images.to(device)).contiguous('channelsLast'), taps));
            for (const h of out) {
              const m = maps.get(h.head.tap)!;
              const pooled: Tensor = F.adaptiveAvgPool2d(m, [h.head.grid, h.head.grid]).to('float32').contiguous().flatten(1).to('cpu');
              if (writers) writers[out.indexOf(h)]!.append(pooled.data() as Float32Array);
              else h.data.set(pooled.data() as Float32Array, row * h.head.dim);
            }
          }),
        );
      } finally {
        batch.images.dispose();
        batch.labels?.dispose();
      }
      row += b;
      if (++batches % 8 === 0) trimNativeHeap();
      bar.tick(b);
    }
    for (const w of writers ?? []) w.close();
  } catch (e) {
    for (const w of writers ?? []) w.abort();
    throw e;
  } finally {
    bar.stop();
    await loader.close();
  }
  if (row !== n) throw new Error(`${cache.dir}: read ${row} images, expected ${n}`);
  return out;
}
