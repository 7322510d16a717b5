// Cluster classification (Noroozi et al. 2018, sec. 4): a target network of any zoo
// architecture, trained from scratch to predict each image's cluster (its pseudo-label), with
// softmax cross-entropy and standard augmentation, optionally sampling clusters uniformly
// (DeepCluster), through the shared Trainer. The run folder has the layout of a pretext run
// (config.json, metrics.jsonl, checkpoint, model.safetensors, trunk.safetensors, summary.json),
// so its trunk loads as a feature source the same way (loadSourceModel).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readNpy, writeFileAtomic } from '../io/index.js';
import type { ImageCache } from '../data/cache/index.js';
import { Compose, Normalize, RandomCrop, RandomHorizontalFlip } from '../data/augment/index.js';
import { Loader, trainValSplit } from '../data/loader/index.js';
import { buildZooNet, getArch } from '../models/index.js';
import {
  Trainer, classify, checkRunFolder, lastEpoch, openTrainingCache, readRunConfig, recipeOf, runTrainConfig, saveFinishedRun,
  CONFIG_FILE, TRANSFER_RUN_FORMAT, type RunOptions, type RunTrainConfig, type TrainResult,
} from '../train/index.js';
import { ASSIGNMENTS_FILE, SUMMARY_FILE as CLUSTER_SUMMARY } from '../cluster/index.js';

export const TRANSFER_FORMAT = TRANSFER_RUN_FORMAT;

export interface TransferConfig {
  format: typeof TRANSFER_FORMAT;
  version: 1;
  arch: string;
  /** The pseudo-labels trained on: a clustering folder's assignments, or a labels .npy file. */
  clusters: { path: string; k: number; sizes: number[] };
  data: { cache: string; shape: [number, number, number]; mean: number[]; std: number[]; trainImages: number; valImages: number };
  train: RunTrainConfig & { balanced: boolean; cropPadding: number; flip: boolean };
  /** Feature-source input preparation: the cache's mean and std, as in training. */
  input: 'dataset';
}

export interface TransferTrainOptions extends RunOptions {
  /** A clustering folder (`selfsup cluster --out`) or an int64 .npy of pseudo-labels (`selfsup cluster assign`). */
  clusters: string;
  arch?: string;
  /** Sample clusters uniformly, then an image of the cluster (DeepCluster). */
  balanced?: boolean;
  /** Random-crop padding in px (default 2; 0 turns it off). */
  cropPadding?: number;
  /** Random horizontal flips (default true). */
  flip?: boolean;
}

export interface TransferResult {
  dir: string;
  status: TrainResult['status'];
  step: number;
  summary?: { trainAccuracy: number; valAccuracy: number | null; valLoss: number | null; k: number; chance: number; epochs: number; seconds: number };
}

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

/** Trains (or resumes) a cluster-classification run; writes the model files when it completes. */
export async function trainTransfer(o: TransferTrainOptions): Promise<TransferResult> {
  const dir = resolve(o.out);
  checkRunFolder(dir, o.resume);
  const { labels, file, k } = readPseudoLabels(o.clusters);
  const cache = openTrainingCache(o.data);
  try {
    if (labels.length !== cache.count) {
      throw new Error(`${file} has ${labels.length} pseudo-labels but ${cache.dir} has ${cache.count} images; cluster features of this cache (or label it with 'selfsup cluster assign')`);
    }
    const config = o.resume ? resumedConfig(dir, o, cache) : newConfig(o, cache, file, labels, k);
    if (!o.resume) writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
    const t = config.train;
    const normalize = new Normalize(config.data.mean, config.data.std);
    const augment = [
      ...(t.cropPadding > 0 ? [new RandomCrop(null, { padding: t.cropPadding })] : []),
      ...(t.flip ? [new RandomHorizontalFlip()] : []),
      normalize,
    ];
    const { train, val } = trainValSplit(cache.count, { valFraction: t.valFraction, seed: t.seed });
    const loader = new Loader(cache, { batchSize: t.batchSize, seed: t.seed, indices: train, labels, balanced: t.balanced, dropLast: true, transform: new Compose(augment) });
    const valLoader = val.length > 0 ? new Loader(cache, { batchSize: t.batchSize, seed: t.seed + 1, indices: val, labels, shuffle: false, transform: normalize }) : null;
    const model = buildZooNet(config.arch, config.clusters.k, config.data.shape[0]);
    const trainer = new Trainer({
      model, task: classify, loader, epochs: t.epochs, seed: t.seed, outDir: dir, resume: o.resume, ...recipeOf(t),
      checkpointEvery: o.checkpointEvery, stopAfterSteps: o.maxSteps, quiet: o.quiet, label: 'clusters',
      ...(valLoader ? { validation: { loader: valLoader } } : {}),
      meta: { run: TRANSFER_FORMAT, arch: config.arch, k: config.clusters.k },
    });
    try {
      const started = performance.now();
      const r = await trainer.fit();
      if (r.status !== 'completed') return { dir, status: r.status, step: r.step };
      const last = r.epochs.at(-1) ?? lastEpoch(dir);
      const summary = {
        trainAccuracy: last?.accuracy ?? NaN, valAccuracy: last?.valAccuracy ?? null, valLoss: last?.valLoss ?? null,
        k: config.clusters.k, chance: Math.max(...config.clusters.sizes) / labels.length, epochs: t.epochs, seconds: (performance.now() - started) / 1000,
      };
      saveFinishedRun(dir, model, model.trunk, { task: 'clusters', arch: config.arch, k: config.clusters.k }, { ...summary, step: r.step });
      return { dir, status: r.status, step: r.step, summary };
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

function newConfig(o: TransferTrainOptions, cache: ImageCache, file: string, labels: Int32Array, k: number): TransferConfig {
  const arch = o.arch ?? 'alexnet_s';
  if (getArch(arch).taps.length === 0) throw new Error(`arch '${arch}' has no trunk/head split; cluster classification needs one of the zoo's trunk nets`);
  const train = runTrainConfig(o);
  const nTrain = cache.count - Math.round(cache.count * train.valFraction);
  if (nTrain < train.batchSize) throw new Error(`${cache.dir}: ${nTrain} training images, fewer than one batch of ${train.batchSize}`);
  const sizes = new Array<number>(k).fill(0);
  for (const l of labels) sizes[l]!++;
  const [c, h, w] = cache.shape;
  return {
    format: TRANSFER_FORMAT, version: 1, arch,
    clusters: { path: file, k, sizes },
    data: { cache: cache.dir, shape: [c, h, w], mean: cache.manifest.mean, std: cache.manifest.std, trainImages: nTrain, valImages: cache.count - nTrain },
    train: { ...train, balanced: o.balanced ?? false, cropPadding: o.cropPadding ?? 2, flip: o.flip ?? true },
    input: 'dataset',
  };
}

function resumedConfig(dir: string, o: TransferTrainOptions, cache: ImageCache): TransferConfig {
  const c = readRunConfig<TransferConfig>(dir, TRANSFER_FORMAT);
  if (o.arch !== undefined && o.arch !== c.arch) throw new Error(`${dir} was trained with arch '${c.arch}', not '${o.arch}'`);
  if (cache.dir !== c.data.cache) throw new Error(`${dir} was trained on ${c.data.cache}, not ${cache.dir}`);
  return c;
}
