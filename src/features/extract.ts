// Streaming feature extraction: images in order, batch by batch, through a source, rows appended
// to a .npy file. Memory stays bounded by one batch (ImageNet-size sets stream to disk), and the
// file appears under its name only when complete (NpyWriter writes a temporary file, then renames).
// A JSON sidecar (FILE.json, e.g. features.npy.json) says what the rows are.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { dispose, tidy, trimNativeHeap } from '../engine/index.js';
import { Loader, type ImageSource } from '../data/loader/index.js';
import { NpyWriter } from '../io/npy.js';
import { FORMATS, checkFormat, makeManifest, writeManifestFile, type InputRef, type Manifest } from '../artifacts/manifest.js';
import { progress } from '../util/progress.js';
import type { FeatureSource } from './source.js';

export const FEATURES_FORMAT = FORMATS.features;
/** 2: the sidecar is an artifact manifest; 1 (read too): the same facts without config, inputs and key. */
export const FEATURES_VERSION = 2;

export interface ExtractOptions {
  /** Images per batch (default 256). */
  batchSize?: number;
  /** Only the first N images (default all). */
  limit?: number;
  /** No progress bar. */
  quiet?: boolean;
  /** What the images are, for the sidecar (e.g. the cache folder). */
  data?: string;
  /** More facts for the sidecar (pool, seed, ...). */
  info?: Record<string, unknown>;
  /** The stage's config and inputs for the manifest (default: the source and batch size, no inputs). */
  manifest?: { config: Record<string, unknown>; inputs: Record<string, InputRef> };
  /** Called after each batch is written, with the rows written so far. */
  onBatch?: (rows: number) => void;
}

/** The sidecar FILE.json next to a features file: its manifest, with what the rows are. */
export interface FeaturesInfo extends Manifest {
  format: typeof FEATURES_FORMAT;
  /** The source spec, e.g. 'random:alexnet_s@conv5'. */
  source: string;
  data: string | null;
  /** Rows (images, in the data's order) and columns. */
  count: number;
  dim: number;
  imageShape: number[];
  dtype: 'float32';
  batchSize: number;
  seconds: number;
  imagesPerSec: number;
}

export function sidecarPath(featuresPath: string): string {
  return `${featuresPath}.json`;
}

/** Reads the sidecar of a features file written by extractFeatures. */
export function readFeaturesInfo(featuresPath: string): FeaturesInfo {
  const path = sidecarPath(featuresPath);
  let info: FeaturesInfo;
  try {
    info = JSON.parse(readFileSync(path, 'utf8')) as FeaturesInfo;
  } catch (e) {
    throw new Error(`${path}: cannot read the features sidecar (${(e as Error).message})`);
  }
  checkFormat(info ?? {}, path, FEATURES_FORMAT, FEATURES_VERSION);
  return info;
}

/** Batches between trimNativeHeap() calls: keeps resident memory flat at about 1% of the time. */
const TRIM_EVERY = 8;

/**
 * Runs `source` over the images (index order) and writes an N x D float32 .npy file at `out`
 * plus its sidecar. On any error the target is left as it was.
 */
export async function extractFeatures(source: FeatureSource, images: ImageSource, out: string, o: ExtractOptions = {}): Promise<FeaturesInfo> {
  const batchSize = o.batchSize ?? 256;
  const n = Math.min(o.limit ?? images.count, images.count);
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`extractFeatures: limit must be a non-negative integer, got ${o.limit}`);
  const dim = source.dim(images.shape);
  const loader = new Loader(images, {
    batchSize, shuffle: false, dtype: 'float32',
    indices: n < images.count ? Int32Array.from({ length: n }, (_, i) => i) : undefined,
  });
  mkdirSync(dirname(resolve(out)), { recursive: true });
  let writer: NpyWriter;
  try {
    writer = new NpyWriter(out, { dtype: 'float32', shape: [n, dim] });
  } catch (e) {
    await loader.close();
    throw e;
  }
  const bar = progress(`features ${source.name}`, n, { unit: 'img', quiet: o.quiet });
  const start = performance.now();
  const started = new Date().toISOString();
  let batches = 0;
  try {
    for await (const batch of loader.epoch(0)) {
      const b = batch.indices.length;
      let rows: Float32Array;
      try {
        rows = tidy(() => {
          const f = source.extract(batch.images);
          if (f.dtype !== 'float32' || f.ndim !== 2 || f.shape[0] !== b || f.shape[1] !== dim) {
            throw new Error(`${source.name}: returned ${f.dtype} [${f.shape.join(', ')}] for ${b} images, expected float32 [${b}, ${dim}]`);
          }
          return f.data() as Float32Array;
        });
      } finally {
        dispose(batch);
      }
      writer.append(rows);
      if (++batches % TRIM_EVERY === 0) trimNativeHeap();
      bar.tick(b);
      o.onBatch?.(writer.rowsWritten);
    }
    writer.close();
  } catch (e) {
    writer.abort();
    throw e;
  } finally {
    bar.stop();
    await loader.close();
  }
  const seconds = (performance.now() - start) / 1000;
  const m = o.manifest ?? { config: { source: source.name, batchSize, ...(o.limit !== undefined ? { limit: o.limit } : {}), ...o.info }, inputs: {} };
  const info = makeManifest({
    format: FEATURES_FORMAT, version: FEATURES_VERSION, stage: 'features', config: m.config, inputs: m.inputs, created: started,
    extra: {
      ...o.info, source: source.name, data: o.data ?? null, count: n, dim,
      imageShape: [...images.shape], dtype: 'float32', batchSize, seconds, imagesPerSec: seconds > 0 ? n / seconds : 0,
    },
  }) as FeaturesInfo;
  return writeManifestFile(sidecarPath(out), info) as FeaturesInfo;
}
