// Training a source network on a pretext task into a run folder (see run.ts), through the
// shared Trainer: `selfsup pretext train` and the library both call trainPretext().
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tidy } from '../engine/index.js';
import { writeFileAtomic } from '../io/index.js';
import type { ImageCache } from '../data/cache/index.js';
import { Compose, Normalize, RandomCrop, RandomHorizontalFlip } from '../data/augment/index.js';
import { Loader, trainValSplit } from '../data/loader/index.js';
import { type Module, updateBatchNormStats } from '../nn/index.js';
import { buildZooNet, getArch } from '../models/index.js';
import {
  Trainer, checkRunFolder, lastEpoch, openTrainingCache, recipeOf, runTrainConfig, saveFinishedRun, CONFIG_FILE,
  type RunOptions, type TrainResult, type TrainTask,
} from '../train/index.js';
import { generatePermutations, permutationSetJson, type PermutationSet } from './permutations.js';
import { JigsawPuzzles } from './jigsaw.js';
import { ContextFreeNetwork } from './cfn.js';
import { ROTATIONS } from './rotation.js';
import { jigsawTask, rotationTask } from './tasks.js';
import { PERMUTATIONS_FILE, RUN_FORMAT, PRETEXT_TASKS, readPretextConfig, standardizePerImage, type PretextConfig, type PretextTask } from './run.js';

export interface PretextTrainOptions extends RunOptions {
  task: PretextTask;
  arch?: string;
  /** Jigsaw: number of permutations (default 100), or a set from a file. */
  permutations?: number;
  minHamming?: number;
  permutationFile?: string;
  crop?: number;
  tile?: number;
  grayscale?: number;
  channelShift?: number;
  /** occlusion[k]: probability that k tiles come from another image (jigsaw++ default [1/3, 1/3, 1/3]). */
  occlusion?: number[];
  tileFeatures?: number;
  hidden?: number;
  /**
   * Jigsaw tasks: training images (a random sample, whole batches) on which the trunk's
   * BatchNorm statistics are re-estimated at full size before trunk.safetensors is written
   * (default 10,000; 0 keeps the statistics of tiles).
   */
  bnImages?: number;
  /** Load the whole cache into memory (default: when it is under 2 GiB). */
  memory?: boolean;
}

export interface PretextResult {
  dir: string;
  status: TrainResult['status'];
  step: number;
  /** Present when the run completed. */
  summary?: {
    trainAccuracy: number; valAccuracy: number | null; valLoss: number | null; chance: number; epochs: number; seconds: number;
    /** Images whose full-size statistics the saved trunk's BatchNorm layers hold (jigsaw tasks), else absent. */
    bnImages?: number;
  };
}

/** Default of PretextTrainOptions.bnImages. */
export const DEFAULT_BN_IMAGES = 10_000;

/** Reads a permutation set written by `selfsup pretext permutations --out` (or a run's). */
export function readPermutationFile(path: string): PermutationSet {
  let j: PermutationSet;
  try {
    j = JSON.parse(readFileSync(path, 'utf8')) as PermutationSet;
  } catch (e) {
    throw new Error(`${path}: cannot read a permutation set (${(e as Error).message})`);
  }
  if (!Array.isArray(j?.permutations) || j.permutations.length === 0) throw new Error(`${path}: expected {"permutations": [[9 ints], ...]}`);
  return { permutations: j.permutations, minHamming: j.minHamming ?? 0, meanHamming: j.meanHamming ?? 0 };
}

/** Trains (or resumes) a pretext run; writes the model files when it completes. */
export async function trainPretext(o: PretextTrainOptions): Promise<PretextResult> {
  const dir = resolve(o.out);
  if (!PRETEXT_TASKS.includes(o.task)) throw new Error(`unknown task '${o.task}'; available: ${PRETEXT_TASKS.join(', ')}`);
  checkRunFolder(dir, o.resume);
  const cache = openTrainingCache(o.data, o.memory);
  try {
    let config: PretextConfig, perms: PermutationSet | null;
    if (o.resume) {
      config = resumedConfig(dir, o, cache);
      perms = config.jigsaw ? readPermutationFile(join(dir, PERMUTATIONS_FILE)) : null;
    } else {
      perms = o.task === 'rotation' ? null : choosePermutations(o);
      config = newConfig(o, cache, perms);
    }
    if (!o.resume) {
      writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
      if (perms) writeFileAtomic(join(dir, PERMUTATIONS_FILE), permutationSetJson(perms));
    }
    const t = config.train;
    const { train, val } = trainValSplit(cache.count, { valFraction: t.valFraction, seed: t.seed });
    const trainTransform = config.task === 'rotation' ? new Compose([new RandomCrop(null, { padding: 2 }), new RandomHorizontalFlip()]) : null;
    const loader = new Loader(cache, { batchSize: t.batchSize, seed: t.seed, indices: train, dropLast: true, transform: trainTransform, labels: null });
    const valLoader = val.length > 0 ? new Loader(cache, { batchSize: t.batchSize, seed: t.seed + 1, indices: val, shuffle: false, labels: null }) : null;
    const { model, task } = buildPretext(config, perms);
    const trainer = new Trainer({
      model, task, loader, epochs: t.epochs, seed: t.seed, outDir: dir, resume: o.resume, ...recipeOf(t),
      checkpointEvery: o.checkpointEvery, stopAfterSteps: o.maxSteps, quiet: o.quiet, label: config.task,
      ...(valLoader ? { validation: { loader: valLoader } } : {}),
      meta: { run: RUN_FORMAT, task: config.task, arch: config.arch },
    });
    try {
      const started = performance.now();
      const r = await trainer.fit();
      if (r.status !== 'completed') return { dir, status: r.status, step: r.step };
      const last = r.epochs.at(-1) ?? lastEpoch(dir);
      const summary = {
        trainAccuracy: last?.accuracy ?? NaN, valAccuracy: last?.valAccuracy ?? null, valLoss: last?.valLoss ?? null,
        chance: 1 / (perms ? perms.permutations.length : ROTATIONS), epochs: t.epochs, seconds: (performance.now() - started) / 1000,
      };
      const trunk = model.getModule('trunk') as Module;
      const bnImages = config.jigsaw ? config.bnImages ?? DEFAULT_BN_IMAGES : 0;
      const full = bnImages > 0 ? await fullImageTrunk(config, trunk, cache, train, bnImages) : null;
      const done = full ? { ...summary, bnImages: full.images } : summary;
      try {
        // model.safetensors keeps the tile statistics the CFN was trained with; trunk.safetensors,
        // the feature source, those of full images.
        saveFinishedRun(dir, model, full?.trunk ?? trunk, { task: config.task, arch: config.arch }, { ...done, step: r.step });
      } finally {
        full?.trunk.dispose();
      }
      return { dir, status: r.status, step: r.step, summary: done };
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

/**
 * A copy of a jigsaw-trained trunk whose BatchNorm statistics are re-estimated on full training
 * images (a random sample of whole batches, at least `images` of them or all), prepared as the
 * feature source prepares them (per-image standardisation). DESIGN.md: tile statistics on full
 * images cost 0.6-1.4 points of conv5 linear probe.
 */
async function fullImageTrunk(config: PretextConfig, trunk: Module, cache: ImageCache, train: ArrayLike<number>, images: number) {
  const copy = buildZooNet(config.arch, 1, config.data.shape[0]);
  copy.head.dispose();
  const t = config.train;
  const loader = new Loader(cache, { batchSize: t.batchSize, seed: t.seed + 2, indices: train, labels: null });
  let seen = 0;
  try {
    tidy(() => void copy.trunk.loadStateDict(trunk.stateDict()));
    async function* inputs() {
      for await (const b of loader.batches()) {
        seen += b.images.shape[0]!;
        try {
          yield standardizePerImage(b.images);
        } finally {
          b.images.dispose();
        }
        if (seen >= images) return;
      }
    }
    await updateBatchNormStats(copy.trunk, inputs());
    return { trunk: copy.trunk, images: seen };
  } catch (e) {
    copy.trunk.dispose();
    throw e;
  } finally {
    await loader.close();
  }
}

/** The network and trainer task a config describes. */
export function buildPretext(config: PretextConfig, perms: PermutationSet | null): { model: Module; task: TrainTask } {
  const inChannels = config.data.shape[0];
  if (config.jigsaw) {
    const j = config.jigsaw;
    const puzzles = new JigsawPuzzles({ permutations: perms!.permutations, crop: j.crop, tile: j.tile, grayscale: j.grayscale, channelShift: j.channelShift, occlusion: j.occlusion });
    const model = new ContextFreeNetwork(config.arch, inChannels, perms!.permutations.length, config.cfn);
    return { model, task: jigsawTask(puzzles) };
  }
  const model = buildZooNet(config.arch, ROTATIONS, inChannels);
  return { model, task: rotationTask(new Normalize(config.data.mean, config.data.std)) };
}

function choosePermutations(o: PretextTrainOptions): PermutationSet {
  if (o.permutationFile) return readPermutationFile(o.permutationFile);
  return generatePermutations({ count: o.permutations ?? 100, minHamming: o.minHamming ?? 0, seed: o.seed ?? 0 });
}

function newConfig(o: PretextTrainOptions, cache: ImageCache, set: PermutationSet | null): PretextConfig {
  const arch = o.arch ?? 'alexnet_s';
  const info = getArch(arch);
  if (info.taps.length === 0) throw new Error(`arch '${arch}' has no trunk/head split; pretext training needs one of the zoo's trunk nets`);
  const [c, h, w] = cache.shape;
  const train = runTrainConfig(o);
  const nTrain = cache.count - Math.round(cache.count * train.valFraction);
  if (nTrain < train.batchSize) throw new Error(`${cache.dir}: ${nTrain} training images, fewer than one batch of ${train.batchSize}`);
  const config: PretextConfig = {
    format: RUN_FORMAT, version: 1, task: o.task, arch,
    data: { cache: cache.dir, shape: [c, h, w], mean: cache.manifest.mean, std: cache.manifest.std, trainImages: nTrain, valImages: cache.count - nTrain },
    train,
    input: set ? 'per-image' : 'dataset',
  };
  if (set) {
    const bn = o.bnImages ?? DEFAULT_BN_IMAGES;
    if (!Number.isInteger(bn) || bn < 0) throw new Error(`bnImages must be a whole number >= 0, got ${bn}`);
    config.bnImages = bn;
    const occlusion = o.occlusion ?? (o.task === 'jigsaw++' ? [1 / 3, 1 / 3, 1 / 3] : [1]);
    const puzzles = new JigsawPuzzles({ permutations: [[0, 1, 2, 3, 4, 5, 6, 7, 8]], crop: o.crop, tile: o.tile, grayscale: o.grayscale, channelShift: o.channelShift, occlusion });
    const g = puzzles.geometry(h, w);
    if (g.tile < info.minInputSize) throw new Error(`tile side ${g.tile} px is smaller than ${arch} accepts (${info.minInputSize} px)`);
    config.jigsaw = {
      permutations: set.permutations.length, minHamming: set.minHamming, meanHamming: set.meanHamming,
      ...g, grayscale: puzzles.grayscale, channelShift: puzzles.channelShift, occlusion: [...occlusion],
    };
    config.cfn = { tileFeatures: o.tileFeatures ?? 256, hidden: o.hidden ?? 512 };
  }
  return config;
}

/** On resume the run's own config decides; options that contradict it are errors. */
function resumedConfig(dir: string, o: PretextTrainOptions, cache: ImageCache): PretextConfig {
  const c = readPretextConfig(dir);
  if (c.task !== o.task) throw new Error(`${dir} was trained on '${c.task}', not '${o.task}'`);
  if (o.arch !== undefined && o.arch !== c.arch) throw new Error(`${dir} was trained with arch '${c.arch}', not '${o.arch}'`);
  if (resolve(cache.dir) !== c.data.cache) throw new Error(`${dir} was trained on ${c.data.cache}, not ${cache.dir}`);
  return c;
}
