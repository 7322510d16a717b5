// Supervised training, the upper bound every self-supervised representation is compared with: a
// zoo network trained from scratch on the cache's own labels, with softmax cross-entropy and
// standard augmentation (random crop, flips, the cache's mean and std), through the shared
// Trainer. The run folder has a pretext run's layout, and its trunk loads as a feature source the
// same way (loadSourceModel).
import type { ImageCache } from '../data/cache/index.js';
import { Normalize, classificationTransforms } from '../data/augment/index.js';
import { buildZooNet, getArch } from '../models/index.js';
import { configOf, parseOptions } from '../util/options.js';
import { FORMATS, readRunConfig } from '../artifacts/index.js';
import {
  classify, checkResumed, runDataConfig, runTrainConfig, trainRun, type RunConfig, type RunResult, type RunSummary, type RunTrainConfig,
} from '../train/index.js';
import { supervisedSchema, type SupervisedStageOptions, type SupervisedTrainOptions } from './schema.js';

export const SUPERVISED_FORMAT = FORMATS.supervisedRun;
export type { SupervisedTrainOptions };

export interface SupervisedConfig extends RunConfig {
  format: typeof SUPERVISED_FORMAT;
  /** The cache's classes: how many, their names (null when the cache has none), images of each. */
  classes: { count: number; names: string[] | null; sizes: number[] };
  train: RunTrainConfig & { cropPadding: number; flip: boolean };
  /** Feature-source input preparation: the cache's mean and std, as in training. */
  input: 'dataset';
}

export type SupervisedResult = RunResult & { summary?: RunSummary & { classes: number } };

/** The labels of a cache to train on, or an error saying the cache (--data) has none. */
export function cacheLabels(cache: ImageCache, option = '--data'): Int32Array {
  if (!cache.labels) {
    throw new Error(`${option} ${cache.dir}: the cache has no labels, and training on classes needs them (prepare it from a labeled source, without --labels none)`);
  }
  return cache.labels;
}

/** The number of classes of a labeled cache: its class names, else the largest label + 1. */
export function classCount(cache: ImageCache, labels: Int32Array): number {
  return cache.classNames?.length ?? labels.reduce((m, v) => Math.max(m, v + 1), 0);
}

/** Trains (or resumes) a supervised run; writes the model files and manifest when it completes. */
export async function trainSupervised(options: SupervisedTrainOptions): Promise<SupervisedResult> {
  const o = parseOptions(supervisedSchema, options);
  let labels: Int32Array | null = null;
  return trainRun<SupervisedConfig>({
    stage: 'train supervised',
    options: o,
    manifestConfig: configOf(supervisedSchema, o),
    newConfig: (cache) => {
      labels = cacheLabels(cache);
      return newConfig(o, cache, labels);
    },
    resumed: (dir, cache) => {
      labels = cacheLabels(cache);
      const c = readRunConfig<SupervisedConfig>(dir, SUPERVISED_FORMAT);
      checkResumed(dir, c, cache, options.arch);
      return c;
    },
    data: (config) => ({ ...classificationTransforms(config.train, new Normalize(config.data.mean, config.data.std)), labels }),
    build: (config) => {
      const model = buildZooNet(config.arch, config.classes.count, config.data.shape[0]);
      return { model, task: classify, trunk: model.trunk };
    },
    label: 'supervised',
    info: (config) => ({ task: 'supervised', arch: config.arch, classes: config.classes.count }),
    chance: (config) => Math.max(...config.classes.sizes) / config.classes.sizes.reduce((a, b) => a + b, 0),
    finish: async ({ config }) => ({ summary: { classes: config.classes.count } }),
  }) as Promise<SupervisedResult>;
}

function newConfig(o: SupervisedStageOptions, cache: ImageCache, labels: Int32Array): SupervisedConfig {
  if (getArch(o.arch).taps.length === 0) throw new Error(`arch '${o.arch}' has no trunk/head split; supervised training needs one of the zoo's trunk nets`);
  const train = runTrainConfig(o);
  const count = classCount(cache, labels);
  const sizes = new Array<number>(count).fill(0);
  for (const l of labels) sizes[l]!++;
  return {
    format: SUPERVISED_FORMAT, version: 1, arch: o.arch,
    classes: { count, names: cache.classNames, sizes },
    data: runDataConfig(cache, train),
    train: { ...train, cropPadding: o.cropPadding, flip: o.flip },
    input: 'dataset',
  };
}
