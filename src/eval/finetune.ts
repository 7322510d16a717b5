// Fine-tuning, the evaluation protocol that asks how good a trunk is as a starting point: the
// trunk of a finished run (or a random one of a zoo arch, the baseline), a new classifier head of
// the arch's zoo style for the labeled cache's classes, and the whole network trained on the
// labels through the shared Trainer, the trunk at a lower learning rate (lrScale) than the head.
// Standard augmentation (random crop, flips) and the input preparation the trunk was trained
// with. At the end the network's top-1 accuracy on a labeled test cache, prepared the same way.
//
// The output folder has a run folder's layout (config.json, metrics.jsonl, checkpoint, and at
// the end model.safetensors, trunk.safetensors, summary.json with the test accuracy, and the
// manifest, format selfsup.finetune-run); it resumes like any run. It is an evaluation, not a
// feature source: loadSourceModel does not take it.
import { resolve } from 'node:path';
import { z } from 'zod';
import type { Tensor } from '../engine/index.js';
import { openCache, type ImageCache } from '../data/cache/index.js';
import { Normalize, classificationTransforms, standardizePerImage, type BatchTransform } from '../data/augment/index.js';
import { Loader } from '../data/loader/index.js';
import { buildZooNet, getArch, type ZooNet } from '../models/index.js';
import { configOf, field, parseOptions } from '../util/options.js';
import { FORMATS, inputRef, loadSourceModel, readRunConfig, type InputRef } from '../artifacts/index.js';
import {
  classify, checkResumed, evaluate, runDataConfig, runTrainConfig, trainFields, trainRun,
  type RunConfig, type RunResult, type RunSummary, type RunTrainConfig,
} from '../train/index.js';

export const FINETUNE_FORMAT = FORMATS.finetuneRun;
const RANDOM = 'random:';

export const finetuneSchema = z.strictObject({
  model: field(z.string(), {
    description: "the trunk to start from: a finished run folder (pretext, transfer, supervised), or 'random:ARCH' for a random one (seeded by --seed)",
    role: 'input', arg: 'run|random:arch',
  }),
  ...trainFields,
  data: field(z.string(), { description: "the labeled cache to fine-tune on ('selfsup data prepare')", role: 'input', arg: 'cache' }),
  test: field(z.string(), { description: 'the labeled cache the top-1 accuracy is measured on (same classes, same image size)', role: 'input', arg: 'cache' }),
  lrScale: field(z.number().min(0).default(0.1), { description: "the trunk's learning rate as a multiple of --lr (the new head's); 0 freezes its weights", arg: 'f' }),
  cropPadding: field(z.int().min(0).default(2), { description: 'random-crop padding (0: no random crop)', arg: 'px' }),
  flip: field(z.boolean().default(true), { description: 'random horizontal flips' }),
});

export type FinetuneOptions = z.input<typeof finetuneSchema>;
export type FinetuneStageOptions = z.output<typeof finetuneSchema>;

export interface FinetuneConfig extends RunConfig {
  format: typeof FINETUNE_FORMAT;
  /** Where the trunk came from: a finished run (absolute path, format, content key), or a random trunk. */
  source: { model: string; run: string | null; format: string | null; key: string | null };
  /** The fine-tuning cache's classes: how many, their names (null when it has none), images of each. */
  classes: { count: number; names: string[] | null; sizes: number[] };
  /**
   * How images are prepared, as the trunk's training did: 'per-image' (zero mean, unit variance
   * over each image) or 'dataset' (per-channel `mean` and `std`: the trunk's training cache's;
   * a random trunk's are the fine-tuning cache's).
   */
  input: 'per-image' | 'dataset';
  mean: number[];
  std: number[];
  train: RunTrainConfig & { lrScale: number; cropPadding: number; flip: boolean };
  /** The test cache (absolute path). */
  test: { cache: string };
}

export type FinetuneResult = RunResult & {
  summary?: RunSummary & { classes: number; testAccuracy: number; testLoss: number; testImages: number };
};

/** The labels of a cache, or an error naming the option and saying labels are needed. */
function labelsOf(cache: ImageCache, option: string): Int32Array {
  if (!cache.labels) {
    throw new Error(`${option} ${cache.dir}: the cache has no labels, and fine-tuning needs them (prepare it from a labeled source, without --labels none)`);
  }
  return cache.labels;
}

function classCount(cache: ImageCache, labels: Int32Array): number {
  return cache.classNames?.length ?? labels.reduce((m, v) => Math.max(m, v + 1), 0);
}

/** The trunk's input preparation as a batch transform (the last one). */
function prepare(c: Pick<FinetuneConfig, 'input' | 'mean' | 'std'>): BatchTransform {
  if (c.input === 'dataset') return new Normalize(c.mean, c.std);
  return { apply: (x: Tensor) => standardizePerImage(x) };
}

/** Refuses a test cache whose images or classes do not fit the fine-tuned network. */
function checkTest(test: ImageCache, config: FinetuneConfig): Int32Array {
  const labels = labelsOf(test, '--test');
  const [c, h, w] = test.shape;
  const [c0, h0, w0] = config.data.shape;
  if (c !== c0 || h !== h0 || w !== w0) {
    throw new Error(`--test ${test.dir}: images are ${c}x${h}x${w}, the fine-tuning cache's ${c0}x${h0}x${w0}; prepare both at the same size`);
  }
  const names = config.classes.names;
  if (names && test.classNames && names.join('\n') !== test.classNames.join('\n')) {
    throw new Error(`--test ${test.dir}: its classes (${test.classNames.join(', ')}) are not the fine-tuning cache's (${names.join(', ')})`);
  }
  const k = classCount(test, labels);
  if (k > config.classes.count) throw new Error(`--test ${test.dir}: ${k} classes, the fine-tuning cache has ${config.classes.count}`);
  return labels;
}

/**
 * Fine-tunes (or resumes) a trunk with a new head on a labeled cache, then measures top-1 on
 * the test cache; writes the model files, summary and manifest when it completes.
 */
export async function finetune(options: FinetuneOptions): Promise<FinetuneResult> {
  const o = parseOptions(finetuneSchema, options);
  const random = o.model.startsWith(RANDOM);
  // Checked before the run folder is made.
  const test = openCache(o.test);
  let labels: Int32Array | null = null;
  try {
    labelsOf(test, '--test');
    // A random trunk is a setting (part of the content key), a run folder an input.
    const manifestConfig = { ...configOf(finetuneSchema, o), ...(random ? { model: o.model } : {}) };
    const inputs: Record<string, InputRef> = { test: { path: resolve(test.dir), key: test.manifest.key }, ...(random ? {} : { model: inputRef(o.model) }) };
    return await trainRun<FinetuneConfig>({
      stage: 'eval finetune',
      options: o,
      manifestConfig,
      inputs,
      newConfig: (cache) => {
        labels = labelsOf(cache, '--data');
        const config = newConfig(o, cache, labels);
        checkTest(test, config);
        return config;
      },
      resumed: (dir, cache) => {
        labels = labelsOf(cache, '--data');
        const c = readRunConfig<FinetuneConfig>(dir, FINETUNE_FORMAT);
        checkResumed(dir, c, cache, undefined);
        const from = random ? o.model : resolve(o.model);
        if ((c.source.run ?? c.source.model) !== from) throw new Error(`${dir} was fine-tuned from ${c.source.run ?? c.source.model}, not ${from}`);
        if (resolve(test.dir) !== c.test.cache) throw new Error(`${dir} was tested on ${c.test.cache}, not ${test.dir}`);
        checkTest(test, c);
        return c;
      },
      data: (config) => ({ ...classificationTransforms(config.train, prepare(config)), labels }),
      build: (config) => {
        const model = buildZooNet(config.arch, config.classes.count, config.data.shape[0]);
        if (config.source.run !== null) {
          try {
            loadTrunk(model, config.source.run, config.arch);
          } catch (e) {
            model.dispose();
            throw e;
          }
        }
        // The head first: the trainer's reported lr is the first group's, --lr.
        return { model, task: classify, trunk: model.trunk, paramGroups: [{ params: model.head }, { params: model.trunk, lrScale: config.train.lrScale }] };
      },
      label: 'finetune',
      info: (config) => ({ task: 'finetune', arch: config.arch, classes: config.classes.count, model: config.source.model }),
      chance: (config) => Math.max(...config.classes.sizes) / config.classes.sizes.reduce((a, b) => a + b, 0),
      finish: async ({ config, model }) => {
        const testLabels = checkTest(test, config);
        const loader = new Loader(test, { batchSize: config.train.batchSize, seed: config.train.seed, shuffle: false, transform: prepare(config), labels: testLabels });
        try {
          const r = await evaluate(model, loader, classify, config.train.seed);
          return { summary: { classes: config.classes.count, testAccuracy: r.accuracy, testLoss: r.loss, testImages: r.count } };
        } finally {
          await loader.close();
        }
      },
    }) as FinetuneResult;
  } finally {
    test.close();
  }
}

/** Loads a finished run's trunk into the network's trunk. */
function loadTrunk(model: ZooNet, run: string, arch: string): void {
  const src = loadSourceModel(run);
  try {
    if (src.config.arch !== arch) throw new Error(`${run}: its trunk is ${src.config.arch}, not ${arch}`);
    model.trunk.loadStateDict(src.trunk.stateDict());
  } finally {
    src.dispose();
  }
}

function newConfig(o: FinetuneStageOptions, cache: ImageCache, labels: Int32Array): FinetuneConfig {
  const train = runTrainConfig(o);
  const data = runDataConfig(cache, train);
  let arch: string;
  let source: FinetuneConfig['source'];
  let input: FinetuneConfig['input'] = 'dataset';
  let mean = data.mean, std = data.std;
  if (o.model.startsWith(RANDOM)) {
    arch = o.model.slice(RANDOM.length);
    if (arch === '') throw new Error(`--model ${o.model}: name an architecture, e.g. random:alexnet_s`);
    if (getArch(arch).taps.length === 0) throw new Error(`--model ${o.model}: arch '${arch}' has no trunk/head split; use one of the zoo's trunk nets`);
    source = { model: o.model, run: null, format: null, key: null };
  } else {
    // Loading it checks that it is a finished run with a trunk that loads.
    const src = loadSourceModel(o.model);
    try {
      const c = src.config;
      if (c.data.shape[0] !== cache.shape[0]) {
        throw new Error(`--model ${o.model}: its trunk takes ${c.data.shape[0]}-channel images, --data ${cache.dir} has ${cache.shape[0]} channels`);
      }
      arch = c.arch;
      input = c.input;
      mean = c.data.mean;
      std = c.data.std;
      source = { model: o.model, run: resolve(o.model), format: c.format, key: src.key };
    } finally {
      src.dispose();
    }
  }
  const count = classCount(cache, labels);
  const sizes = new Array<number>(count).fill(0);
  for (const l of labels) sizes[l]!++;
  return {
    format: FINETUNE_FORMAT, version: 1, arch, source,
    classes: { count, names: cache.classNames, sizes },
    input, mean: [...mean], std: [...std],
    data,
    train: { ...train, lrScale: o.lrScale, cropPadding: o.cropPadding, flip: o.flip },
    test: { cache: resolve(o.test) },
  };
}
