// Cluster classification (Noroozi et al. 2018, sec. 4): a target network of any zoo
// architecture, trained from scratch to predict each image's cluster (its pseudo-label), with
// softmax cross-entropy and standard augmentation, optionally sampling clusters uniformly
// (DeepCluster), through the shared Trainer. The run folder has the layout of a pretext run
// (config.json, metrics.jsonl, checkpoint, model.safetensors, trunk.safetensors, summary.json),
// so its trunk loads as a feature source the same way (loadSourceModel).
import type { ImageCache } from '../data/cache/index.js';
import { Normalize, classificationTransforms } from '../data/augment/index.js';
import { buildZooNet, getArch } from '../models/index.js';
import { configOf, parseOptions } from '../util/options.js';
import { FORMATS, inputRef, readRunConfig } from '../artifacts/index.js';
import {
  classify, checkResumed, runDataConfig, runTrainConfig, trainRun, type RunConfig, type RunResult, type RunSummary, type RunTrainConfig,
} from '../train/index.js';
import { resolveDevice } from '../engine/index.js';
import { transferSchema, type TransferStageOptions, type TransferTrainOptions } from './schema.js';
import { readPseudoLabels } from '../cluster/index.js';

export { readPseudoLabels };

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

/** Trains (or resumes) a cluster-classification run; writes the model files and manifest when it completes. */
export async function trainTransfer(options: TransferTrainOptions): Promise<TransferResult> {
  const o = parseOptions(transferSchema, options);
  resolveDevice(o.device); // a missing device is the first error, before the inputs are read
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
