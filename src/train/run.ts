// The one recipe for training a zoo network into a run folder, shared by pretext training,
// cluster classification, supervised training and fine-tuning: check the folder, open the cache, write (or, on resume, read) the run's
// config, split train/validation, build loaders, seed and build the network, run the Trainer,
// then write model, trunk, summary and, last, the artifact manifest.
// With several processes every rank trains on its shard; rank 0 alone writes the folder (the
// others read only a resumed run's config.json) and finishes the run.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { manualSeed, setDeterministic, setNumThreads } from '../engine/index.js';
import { writeFileAtomic } from '../io/index.js';
import type { ImageCache } from '../data/cache/index.js';
import type { BatchTransform } from '../data/augment/index.js';
import { Loader, trainValSplit } from '../data/loader/index.js';
import type { Module } from '../nn/index.js';
import { MANIFEST_FILE, makeManifest, writeManifestFile, type InputRef } from '../artifacts/manifest.js';
import { CONFIG_FILE, RUN_VERSION, type RunFormat } from '../artifacts/run_folder.js';
import { Trainer, type TrainResult, type TrainTask } from './trainer.js';
import { resolveDevice } from './device.js';
import type { ParamGroupConfig } from './recipe.js';
import { checkRunFolder, lastEpoch, openTrainingCache, recipeOf, saveFinishedRun, type RunTrainConfig } from './run_folder.js';
import type { TrainStageOptions } from './schema.js';
import { isMain, distributedShard, checkSameOnAllRanks } from '../distributed/index.js';

/** What every run's config.json holds. */
export interface RunConfig {
  format: RunFormat;
  version: 1;
  arch: string;
  /** The cache trained on (absolute path), its image shape [C, H, W] and pixel statistics. */
  data: { cache: string; shape: [number, number, number]; mean: number[]; std: number[]; trainImages: number; valImages: number };
  train: RunTrainConfig;
  /** The stage's options as its schema resolved them (config fields), for the manifest. */
  options?: Record<string, unknown>;
}

/** The data part of a new run's config; refuses a split without one whole training batch. */
export function runDataConfig(cache: ImageCache, t: RunTrainConfig): RunConfig['data'] {
  const nTrain = cache.count - Math.round(cache.count * t.valFraction);
  if (nTrain < t.batchSize) throw new Error(`${cache.dir}: ${nTrain} training images, fewer than one batch of ${t.batchSize}`);
  const [c, h, w] = cache.shape;
  return { cache: resolve(cache.dir), shape: [c, h, w], mean: cache.manifest.mean, std: cache.manifest.std, trainImages: nTrain, valImages: cache.count - nTrain };
}

/** Refuses to resume a run with options that contradict its config. */
export function checkResumed(dir: string, c: RunConfig, cache: ImageCache, arch: string | undefined): void {
  if (arch !== undefined && arch !== c.arch) throw new Error(`${dir} was trained with arch '${c.arch}', not '${arch}'`);
  if (resolve(cache.dir) !== c.data.cache) throw new Error(`${dir} was trained on ${c.data.cache}, not ${cache.dir}`);
}

export interface RunSpec<C extends RunConfig> {
  stage: string;
  options: TrainStageOptions & { memory?: boolean };
  /** The manifest's config (the stage schema's config fields) and the inputs besides the cache. */
  manifestConfig: Record<string, unknown>;
  inputs?: Record<string, InputRef>;
  /** A fresh run's config.json; `resumed` reads and checks a resumed run's. */
  newConfig(cache: ImageCache): C;
  resumed(dir: string, cache: ImageCache): C;
  /** Writes files beside config.json when a fresh run starts (before it). */
  onStart?(dir: string, config: C): void;
  /** Training augmentation (the validation pass gets `valTransform`), labels and sampling. */
  data(config: C): { transform: BatchTransform | null; valTransform: BatchTransform | null; labels: Int32Array | null; balanced?: boolean };
  /**
   * The network, the task, and the trunk inside the network that becomes trunk.safetensors;
   * optionally parameter groups with their own learning rate (e.g. a trunk fine-tuned slower).
   */
  build(config: C): { model: Module; task: TrainTask; trunk: Module; paramGroups?: ParamGroupConfig[] };
  /** Progress label, and facts saved in checkpoints and in the safetensors files. */
  label: string;
  info(config: C): Record<string, unknown>;
  /** Accuracy of always answering the most frequent class. */
  chance(config: C): number;
  /**
   * After training: a trunk to save instead of the trained one (e.g. BatchNorm statistics
   * re-estimated), disposed after, and more summary figures.
   */
  finish?(c: { config: C; model: Module; trunk: Module; cache: ImageCache; train: Int32Array }): Promise<{ trunk?: Module; summary?: Record<string, unknown> }>;
}

export interface RunSummary {
  /** Running mean over the last epoch's steps, in training mode (augmentation, dropout). */
  trainAccuracy: number;
  /** At the last epoch's end on the held-out images, in eval mode, without augmentation. */
  valAccuracy: number | null;
  valLoss: number | null;
  chance: number;
  epochs: number;
  seconds: number;
  [more: string]: unknown;
}

export interface RunResult {
  dir: string;
  status: TrainResult['status'];
  step: number;
  /** Present when the run completed (on rank 0 of several processes). */
  summary?: RunSummary;
  /** The run's content key, when it completed. */
  key?: string;
}

/** Trains (or resumes) a run; writes its model files and manifest when it completes. */
export async function trainRun<C extends RunConfig>(spec: RunSpec<C>): Promise<RunResult> {
  const o = spec.options;
  const dir = resolve(o.out);
  if (o.threads) setNumThreads(o.threads);
  setDeterministic(o.deterministic);
  // Before anything is written: a missing device leaves no half-made run folder.
  const device = resolveDevice(o.device);
  if (isMain()) checkRunFolder(dir, o.resume);
  const started = new Date().toISOString();
  const cache = openTrainingCache(o.data, o.memory);
  try {
    const config = o.resume ? spec.resumed(dir, cache) : { ...spec.newConfig(cache), options: spec.manifestConfig };
    checkSameOnAllRanks('the run\'s config', JSON.stringify(config));
    if (!o.resume && isMain()) {
      // The config last: a folder with a config has all that a resume reads.
      mkdirSync(dir, { recursive: true });
      spec.onStart?.(dir, config);
      writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
    }
    const t = config.train;
    const { train, val } = trainValSplit(cache.count, { valFraction: t.valFraction, seed: t.seed });
    const d = spec.data(config);
    const loader = new Loader(cache, { batchSize: t.batchSize, seed: t.seed, indices: train, dropLast: true, transform: d.transform, labels: d.labels, balanced: d.balanced, shard: distributedShard() });
    const valLoader = val.length > 0 ? new Loader(cache, { batchSize: t.batchSize, seed: t.seed + 1, indices: val, shuffle: false, transform: d.valTransform, labels: d.labels }) : null;
    // The weights' initialisation draws from libtorch's generator: seeded, a run is repeatable.
    manualSeed(t.seed);
    const { model, task, trunk, paramGroups } = spec.build(config);
    const trainer = new Trainer({
      model, task, loader, epochs: t.epochs, seed: t.seed, outDir: dir, resume: o.resume, ...recipeOf(t), ...(paramGroups ? { paramGroups } : {}),
      checkpointEvery: o.checkpointEvery, stopAfterSteps: o.maxSteps, quiet: o.quiet, label: spec.label, device, syncBatchNorm: o.syncBn,
      ...(valLoader ? { validation: { loader: valLoader } } : {}),
      meta: { run: config.format, ...spec.info(config) },
    });
    try {
      const t0 = performance.now();
      const r = await trainer.fit();
      if (r.status !== 'completed' || !isMain()) return { dir, status: r.status, step: r.step };
      const last = r.epochs.at(-1) ?? lastEpoch(dir);
      const base: RunSummary = {
        trainAccuracy: last?.accuracy ?? NaN, valAccuracy: last?.valAccuracy ?? null, valLoss: last?.valLoss ?? null,
        chance: spec.chance(config), epochs: t.epochs, seconds: (performance.now() - t0) / 1000,
      };
      const done = spec.finish ? await spec.finish({ config, model, trunk, cache, train }) : {};
      const summary: RunSummary = { ...base, ...(done.summary ?? {}) };
      try {
        saveFinishedRun(dir, model, done.trunk ?? trunk, spec.info(config), { ...summary, step: r.step });
      } finally {
        done.trunk?.dispose();
      }
      const cacheRef: InputRef = { path: config.data.cache, key: cache.manifest.key };
      const manifest = writeManifestFile(join(dir, MANIFEST_FILE), makeManifest({
        format: config.format, version: RUN_VERSION, stage: spec.stage, config: config.options ?? spec.manifestConfig,
        inputs: { data: cacheRef, ...(spec.inputs ?? {}) }, created: started,
        extra: { arch: config.arch, step: r.step, summary },
      }));
      return { dir, status: r.status, step: r.step, summary, key: manifest.key };
    } finally {
      trainer.dispose();
      model.dispose();
      await loader.close();
      await valLoader?.close();
    }
  } finally {
    cache.close();
  }
}
