// One frozen forward pass over a cache feeds every head: each batch goes through the trunk once,
// every tap asked for is taken from that pass, pooled and appended to its head's matrix. Runs
// in eval mode, under noGrad, channels-last (as feature extraction does).
import { F, noGrad, tidy, trimNativeHeap, type Tensor } from '../engine/index.js';
import type { ImageCache } from '../data/cache/index.js';
import { Loader } from '../data/loader/index.js';
import { progress } from '../util/progress.js';
import type { EvalModel } from './model.js';
import type { TapHead } from './taps.js';

/** A head's features: rows of `dim` float32 values, one per image in cache order. */
export interface HeadFeatures {
  head: TapHead;
  rows: number;
  data: Float32Array;
}

/** Features held in memory above this are refused (say so, rather than swap). */
export const MAX_FEATURE_BYTES = 8 * 2 ** 30;

export interface ExtractHeadsOptions {
  batchSize?: number;
  quiet?: boolean;
  /** Progress bar label. */
  label?: string;
}

/** Every head's features for every image of `cache`. */
export async function extractHeads(model: EvalModel, heads: readonly TapHead[], cache: ImageCache, o: ExtractHeadsOptions = {}): Promise<HeadFeatures[]> {
  const n = cache.count;
  const bytes = heads.reduce((s, h) => s + 4 * n * h.dim, 0);
  if (bytes > MAX_FEATURE_BYTES) {
    throw new Error(`${cache.dir}: the features of ${heads.length} heads for ${n} images take ${(bytes / 2 ** 30).toFixed(1)} GiB, more than ${MAX_FEATURE_BYTES / 2 ** 30} GiB; evaluate fewer --taps or a lower --dim`);
  }
  const out = heads.map((head) => ({ head, rows: n, data: new Float32Array(n * head.dim) }));
  const taps = [...new Set(heads.map((h) => h.tap))];
  model.trunk.eval().toMemoryFormat('channelsLast');
  const loader = new Loader(cache, { batchSize: o.batchSize ?? 256, shuffle: false, dtype: 'float32' });
  const bar = progress(o.label ?? `features ${cache.dir}`, n, { unit: 'img', quiet: o.quiet });
  let row = 0, batches = 0;
  try {
    for await (const batch of loader.epoch(0)) {
      const b = batch.indices.length;
      try {
        noGrad(() =>
          tidy(() => {
            const maps = model.trunk.features(model.preprocess(batch.images).contiguous('channelsLast'), taps);
            for (const h of out) {
              const m = maps.get(h.head.tap)!;
              const pooled: Tensor = F.adaptiveAvgPool2d(m, [h.head.grid, h.head.grid]).contiguous().flatten(1);
              h.data.set(pooled.data() as Float32Array, row * h.head.dim);
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
  } finally {
    bar.stop();
    await loader.close();
  }
  if (row !== n) throw new Error(`${cache.dir}: read ${row} images, expected ${n}`);
  return out;
}
