// The on-disk image cache: a folder holding
//   manifest.json          what is in it (CacheManifest below)
//   images-00000.u8 ...    shards of raw uint8 images, N_i x C x H x W each, row-major (NCHW)
//   labels.i32             one int32 little-endian label per image (labeled caches only)
// Shards hold whole images, in order: image k of the cache is image k - (images before it) of
// its shard. A folder without manifest.json is never a complete cache (it is written last).

import { FORMATS, LEGACY_FORMATS, MANIFEST_FILE, contentKey, type Manifest } from '../../artifacts/manifest.js';

export const CACHE_FORMAT = FORMATS.imageCache;
/** 2: the artifact manifest (stage, config, inputs, content key); 1 (read too): options under `key`. */
export const CACHE_VERSION = 2;
export const CACHE_STAGE = 'data prepare';
export { MANIFEST_FILE };
export const LABELS_FILE = 'labels.i32';
/** Default largest shard size in bytes (whole images only, so a shard may be a little smaller). */
export const DEFAULT_SHARD_BYTES = 256 * 1024 * 1024;

export function shardFileName(i: number): string {
  return `images-${String(i).padStart(5, '0')}.u8`;
}

export interface ShardInfo {
  /** File name inside the cache folder. */
  file: string;
  /** Number of images in this shard. */
  count: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

/** The options a cache was built with; running prepare again with equal options is a no-op. */
export type PrepareKey = {
  /** 'fashion-mnist' or an absolute path. */
  source: string;
  format: string;
  split: string;
  size: number;
  channels: 1 | 3;
  /** Which labels were kept ('fine'/'coarse' for CIFAR-100, 'none' when labels were dropped, else 'default'). */
  labels: string;
  /** Only the first N images of the source (absent: all). */
  limit?: number;
};

export interface CacheManifest extends Manifest {
  format: typeof CACHE_FORMAT;
  /** Options the cache was built from. */
  config: PrepareKey;
  /** Human-readable description of the source (e.g. 'CIFAR-10 binary, /data/cifar-10-batches-bin'). */
  sourceDescription: string;
  /** Images in the cache (skipped files excluded). */
  count: number;
  /** [C, H, W] of every image. */
  shape: [number, number, number];
  /** Class names indexed by label, or null for an unlabeled cache. */
  classNames: string[] | null;
  /** Images per class (same order as classNames), or null. */
  classCounts: number[] | null;
  /** Per-channel mean and (population) standard deviation of the cached pixels, on [0, 1]. */
  mean: number[];
  std: number[];
  /** How many images were copied as they were, padded, or resized and centre-cropped. */
  fit: { identity: number; pad: number; resize: number };
  shards: ShardInfo[];
  /** Labels file name, or null when unlabeled. */
  labelsFile: string | null;
  /** Images that could not be decoded (count, and the first ones with reasons). */
  skipped: { count: number; files: SkippedFile[] };
  /** Files under an image folder ignored because of their extension. */
  ignoredFiles: number;
}

/** Checks the parts of a parsed manifest that the reader relies on; throws naming the field. */
export function checkManifest(m: unknown, path: string): CacheManifest {
  const bad = (what: string): never => {
    throw new Error(`${path}: not a valid cache manifest (${what})`);
  };
  if (typeof m !== 'object' || m === null) bad('expected a JSON object');
  const o = m as Record<string, unknown>;
  if ((LEGACY_FORMATS[o.format as string] ?? o.format) !== CACHE_FORMAT) bad(`format is ${JSON.stringify(o.format)}, expected "${CACHE_FORMAT}"`);
  if (o.version !== 1 && o.version !== CACHE_VERSION) bad(`version ${JSON.stringify(o.version)} unsupported, expected 1..${CACHE_VERSION}; prepare it again with --force`);
  if (o.version === 1) upgradeV1(o);
  if (!Number.isInteger(o.count) || (o.count as number) < 0) bad('count must be a non-negative integer');
  const shape = o.shape as unknown[];
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && (d as number) > 0)) bad('shape must be [C, H, W]');
  if (!Array.isArray(o.shards)) bad('shards must be a list');
  let total = 0;
  for (const s of o.shards as ShardInfo[]) {
    if (typeof s?.file !== 'string' || !Number.isInteger(s.count) || s.count < 0) bad('each shard needs file and count');
    total += s.count;
  }
  if (total !== o.count) bad(`shards hold ${total} images but count is ${String(o.count)}`);
  if (o.classNames !== null && !Array.isArray(o.classNames)) bad('classNames must be a list or null');
  if (o.labelsFile !== null && typeof o.labelsFile !== 'string') bad('labelsFile must be a file name or null');
  return m as CacheManifest;
}

/** A version-1 manifest read as version 2: its options become `config`, with the content key they give. */
function upgradeV1(o: Record<string, unknown>): void {
  const config = o.key as PrepareKey;
  o.format = CACHE_FORMAT;
  o.stage = CACHE_STAGE;
  o.config = config;
  o.inputs = {};
  o.key = contentKey(CACHE_FORMAT, CACHE_VERSION, CACHE_STAGE, config, {});
  o.completed = o.created;
  o.complete = true;
}
