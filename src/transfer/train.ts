// Cluster classification (Noroozi et al. 2018, sec. 4): a target network of any zoo
// architecture, trained from scratch to predict each image's cluster (its pseudo-label), with
// softmax cross-entropy and standard augmentation, optionally sampling clusters uniformly
// (DeepCluster), through the shared Trainer. The run folder has the layout of a pretext run
// (config.json, metrics.jsonl, checkpoint, model.safetensors, trunk.safetensors, summary.json),
// so its trunk loads as a feature source the same way (loadSourceModel).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readNpy } from '../io/index.js';
import type { ImageCache } from '../data/cache/index.js';
import { Normalize, classificationTransforms } from '../data/augment/index.js';
import { buildZooNet, getArch } from '../models/index.js';
import { configOf, parseOptions } from '../util/options.js';
import { FORMATS, inputRef, readRunConfig } from '../artifacts/index.js';
import {
  classify, checkResumed, runDataConfig, runTrainConfig, trainRun, type RunConfig, type RunResult, type RunSummary, type RunTrainConfig,
} from '../train/index.js';
import { transferSchema, type TransferStageOptions, type TransferTrainOptions } from './schema.js';
import { ASSIGNMENTS_FILE, SUMMARY_FILE as CLUSTER_SUMMARY } from '../cluster/index.js';

export const TRANSFER_FORMAT = FORMATS.transferRun;
export type { TransferTrainOptions };

export interface TransferConfig extends RunConfig {
  format: typeof TRANSFER_FORMAT;
  /** The pseudo-labels trained on: a clustering folder's assignments, or a labels .npy file. */
  clusters: { path: string; k: number; sizes: number[] };
  train: RunTrainConfig & { balanced: boolean; cropPadding: number; flip: boolean };
  /** Feature-source input preparation: the cache's mean and std, as in training. */
  input: 'dataset';
}

export type TransferResult = RunResult & { summary?: RunSummary & { k: number } };

/** Pseudo-labels as int32, from a clustering folder or a labels file, with where they came from. */
export function readPseudoLabels(path: string): { labels: Int32Array; file: string; k: number } {
  const p = resolve(path);
  if (!existsSync(p)) throw new Error(`${path}: no such clustering folder or labels file`);
  const file = statSync(p).isDirectory() ? join(p, ASSIGNMENTS_FILE) : p;
  if (!existsSync(file)) throw new Error(`${path}: not a clustering folder (no ${ASSIGNMENTS_FILE}; run 'selfsup cluster' first)`);
  const a = readNpy(file);
  if (a.shape.length !== 1 || (a.dtype !== 'int64' && a.dtype !== 'int32')) {
    throw new Error(`${file}: expected a 1-D int64 array of cluster indices, got ${a.dtype} [${a.shape.join(', ')}]`);
  }
  const labels = new Int32Array(a.shape[0]!);
  for (let i = 0; i < labels.length; i++) {
    const v = Number(a.data[i]!);
    if (!(Number.isInteger(v) && v >= 0)) throw new Error(`${file}: entry ${i} is ${v}, not a cluster index`);
    labels[i] = v;
  }
  let k = labels.reduce((m, v) => Math.max(m, v + 1), 0);
  // A clustering folder knows K even when some cluster ended up with no image.
  const summary = statSync(p).isDirectory() ? join(p, CLUSTER_SUMMARY) : null;
  if (summary && existsSync(summary)) k = Math.max(k, (JSON.parse(readFileSync(summary, 'utf8')) as { k?: number }).k ?? 0);
  return { labels, file, k };
}

/** Trains (or resumes) a cluster-classification run; writes the model files and manifest when it completes. */
export async function trainTransfer(options: TransferTrainOptions): Promise<TransferResult> {
  const o = parseOptions(transferSchema, options);
  const { labels, file, k } = readPseudoLabels(o.clusters);
  const checkCount = (cache: ImageCache) => {
    if (labels.length !== cache.count) {
      throw new Error(`${file} has ${labels.length} pseudo-labels but ${cache.dir} has ${cache.count} images; cluster features of this cache (or label it with 'selfsup cluster assign')`);
    }
  };
  return trainRun<TransferConfig>({
    stage: 'transfer train',
    options: o,
    manifestConfig: configOf(transferSchema, o),
    inputs: { clusters: inputRef(o.clusters) },
    newConfig: (cache) => {
      checkCount(cache);
      return newConfig(o, cache, file, labels, k);
    },
    resumed: (dir, cache) => {
      checkCount(cache);
      const c = readRunConfig<TransferConfig>(dir, TRANSFER_FORMAT);
      checkResumed(dir, c, cache, options.arch);
      return c;
    },
    data: (config) => ({ ...classificationTransforms(config.train, new Normalize(config.data.mean, config.data.std)), labels, balanced: config.train.balanced }),
    build: (config) => {
      const model = buildZooNet(config.arch, config.clusters.k, config.data.shape[0]);
      return { model, task: classify, trunk: model.trunk };
    },
    label: 'clusters',
    info: (config) => ({ task: 'clusters', arch: config.arch, k: config.clusters.k }),
    chance: (config) => Math.max(...config.clusters.sizes) / labels.length,
    finish: async ({ config }) => ({ summary: { k: config.clusters.k } }),
  }) as Promise<TransferResult>;
}

function newConfig(o: TransferStageOptions, cache: ImageCache, file: string, labels: Int32Array, k: number): TransferConfig {
  if (getArch(o.arch).taps.length === 0) throw new Error(`arch '${o.arch}' has no trunk/head split; cluster classification needs one of the zoo's trunk nets`);
  const train = runTrainConfig(o);
  const sizes = new Array<number>(k).fill(0);
  for (const l of labels) sizes[l]!++;
  return {
    format: TRANSFER_FORMAT, version: 1, arch: o.arch,
    clusters: { path: file, k, sizes },
    data: runDataConfig(cache, train),
    train: { ...train, balanced: o.balanced, cropPadding: o.cropPadding, flip: o.flip },
    input: 'dataset',
  };
}
