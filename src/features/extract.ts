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

/** Rows [start, end) of the images, in index order, through a source into an .npy file. */
export interface RowRange {
  start: number;
  end: number;
}

/**
 * Runs `source` over images [range.start, range.end) in index order, in batches of batchSize
 * from range.start, and writes their rows as a float32 .npy file at `out` ([end - start, D]);
 * no sidecar. On any error the target is left as it was. Returns the seconds it took.
 */
export async function extractRows(source: FeatureSource, images: ImageSource, out: string, range: RowRange, o: ExtractOptions = {}): Promise<{ seconds: number; started: string }> {
  const batchSize = o.batchSize ?? 256;
  const n = range.end - range.start;
  const dim = source.dim(images.shape);
  const all = range.start === 0 && range.end === images.count;
  const loader = new Loader(images, {
    batchSize, shuffle: false, dtype: 'float32',
    indices: all ? undefined : Int32Array.from({ length: n }, (_, i) => range.start + i),
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
  return { seconds: (performance.now() - start) / 1000, started };
}

/** Rows to extract: the first `limit` images (default all), checked. */
export function rowsToExtract(images: ImageSource, limit: number | undefined): number {
  const n = Math.min(limit ?? images.count, images.count);
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`extractFeatures: limit must be a non-negative integer, got ${limit}`);
  return n;
}

/** Writes the sidecar FILE.json of a complete features file of n rows (last: it marks the file done). */
export function writeFeaturesSidecar(source: FeatureSource, images: ImageSource, out: string, n: number, run: { seconds: number; started: string }, o: ExtractOptions = {}): FeaturesInfo {
  const batchSize = o.batchSize ?? 256;
  const dim = source.dim(images.shape);
  const { seconds, started } = run;
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

/**
 * Runs `source` over the images (index order) and writes an N x D float32 .npy file at `out`
 * plus its sidecar. On any error the target is left as it was.
 */
export async function extractFeatures(source: FeatureSource, images: ImageSource, out: string, o: ExtractOptions = {}): Promise<FeaturesInfo> {
  const n = rowsToExtract(images, o.limit);
  const run = await extractRows(source, images, out, { start: 0, end: n }, o);
  return writeFeaturesSidecar(source, images, out, n, run, o);
}
