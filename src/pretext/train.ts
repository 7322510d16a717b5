// Training a source network on a pretext task into a run folder (see run.ts), through the
// shared run recipe (src/train/run.ts): `selfsup pretext train` and the library both call
// trainPretext().
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tidy } from '../engine/index.js';
import { writeFileAtomic } from '../io/index.js';
import type { ImageCache } from '../data/cache/index.js';
import { Compose, Normalize, RandomCrop, RandomHorizontalFlip, standardizePerImage } from '../data/augment/index.js';
import { Loader } from '../data/loader/index.js';
import { type Module, updateBatchNormStats } from '../nn/index.js';
import { buildTrunk, buildZooNet, getArch } from '../models/index.js';
import { configOf, parseOptions } from '../util/options.js';
import { inputRef } from '../artifacts/manifest.js';
import { checkResumed, runDataConfig, runTrainConfig, trainRun, type RunResult, type TrainTask } from '../train/index.js';
import { generatePermutations, permutationSetJson, type PermutationSet } from './permutations.js';
import { JigsawPuzzles } from './jigsaw.js';
import { ContextFreeNetwork } from './cfn.js';
import { ROTATIONS } from './rotation.js';
import { jigsawTask, rotationTask } from './tasks.js';
import { PERMUTATIONS_FILE, RUN_FORMAT, readPretextConfig, type PretextConfig } from './run.js';
import { DEFAULT_BN_IMAGES, JIGSAW_PP_OCCLUSION, checkTaskOptions, pretextSchema, type PretextStageOptions, type PretextTrainOptions } from './schema.js';

export { DEFAULT_BN_IMAGES, type PretextTrainOptions };
export type PretextResult = RunResult;

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

/** Trains (or resumes) a pretext run; writes the model files and manifest when it completes. */
export async function trainPretext(options: PretextTrainOptions): Promise<PretextResult> {
  const o = parseOptions(pretextSchema, options);
  checkTaskOptions(o);
  let perms: PermutationSet | null = null;
  return trainRun<PretextConfig>({
    stage: 'pretext train',
    options: o,
    manifestConfig: configOf(pretextSchema, o),
    inputs: o.permutationFile ? { permutationFile: inputRef(o.permutationFile) } : {},
    newConfig: (cache) => {
      perms = o.task === 'rotation' ? null : choosePermutations(o);
      return newConfig(o, cache, perms);
    },
    resumed: (dir, cache) => {
      const c = resumedConfig(dir, o, cache, options.arch);
      perms = c.jigsaw ? readPermutationFile(join(dir, PERMUTATIONS_FILE)) : null;
      return c;
    },
    onStart: (dir) => {
      if (perms) writeFileAtomic(join(dir, PERMUTATIONS_FILE), permutationSetJson(perms));
    },
    data: (config) => ({
      transform: config.task === 'rotation' ? new Compose([new RandomCrop(null, { padding: 2 }), new RandomHorizontalFlip()]) : null,
      valTransform: null,
      labels: null,
    }),
    build: (config) => {
      const b = buildPretext(config, perms);
      return { ...b, trunk: b.model.getModule('trunk') as Module };
    },
    label: o.task,
    info: (config) => ({ task: config.task, arch: config.arch }),
    chance: () => 1 / (perms ? perms.permutations.length : ROTATIONS),
    finish: async ({ config, trunk, cache, train }) => {
      const bnImages = config.jigsaw ? config.bnImages ?? DEFAULT_BN_IMAGES : 0;
      if (bnImages === 0) return {};
      // model.safetensors keeps the tile statistics the CFN was trained with; trunk.safetensors,
      // the feature source, those of full images.
      const full = await fullImageTrunk(config, trunk, cache, train, bnImages);
      return { trunk: full.trunk, summary: { bnImages: full.images } };
    },
  });
}

/**
 * A copy of a jigsaw-trained trunk whose BatchNorm statistics are re-estimated on full training
 * images (a random sample of whole batches, at least `images` of them or all), prepared as the
 * feature source prepares them (per-image standardisation). Tile statistics on full images cost
 * 0.6-1.4 points of conv5 linear probe (docs/pretext.md).
 */
async function fullImageTrunk(config: PretextConfig, trunk: Module, cache: ImageCache, train: ArrayLike<number>, images: number) {
  const copy = buildTrunk(config.arch, config.data.shape[0]);
  const t = config.train;
  const loader = new Loader(cache, { batchSize: t.batchSize, seed: t.seed + 2, indices: train, labels: null });
  let seen = 0;
  try {
    tidy(() => void copy.loadStateDict(trunk.stateDict()));
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
    await updateBatchNormStats(copy, inputs());
    return { trunk: copy, images: seen };
  } catch (e) {
    copy.dispose();
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

function choosePermutations(o: PretextStageOptions): PermutationSet {
  if (o.permutationFile) return readPermutationFile(o.permutationFile);
  return generatePermutations({ count: o.permutations, minHamming: o.minHamming, seed: o.seed });
}

function newConfig(o: PretextStageOptions, cache: ImageCache, set: PermutationSet | null): PretextConfig {
  const info = getArch(o.arch);
  if (info.taps.length === 0) throw new Error(`arch '${o.arch}' has no trunk/head split; pretext training needs one of the zoo's trunk nets`);
  const [, h, w] = cache.shape;
  const train = runTrainConfig(o);
  const config: PretextConfig = {
    format: RUN_FORMAT, version: 1, task: o.task, arch: o.arch, data: runDataConfig(cache, train), train,
    input: set ? 'per-image' : 'dataset',
  };
  if (set) {
    config.bnImages = o.bnImages ?? DEFAULT_BN_IMAGES;
    const occlusion = o.occlusion ?? (o.task === 'jigsaw++' ? JIGSAW_PP_OCCLUSION : [1]);
    const puzzles = new JigsawPuzzles({ permutations: [[0, 1, 2, 3, 4, 5, 6, 7, 8]], crop: o.crop, tile: o.tile, grayscale: o.grayscale, channelShift: o.channelShift, occlusion });
    const g = puzzles.geometry(h, w);
    if (g.tile < info.minInputSize) throw new Error(`tile side ${g.tile} px is smaller than ${o.arch} accepts (${info.minInputSize} px)`);
    config.jigsaw = {
      permutations: set.permutations.length, minHamming: set.minHamming, meanHamming: set.meanHamming,
      ...g, grayscale: puzzles.grayscale, channelShift: puzzles.channelShift, occlusion: [...occlusion],
    };
    config.cfn = { tileFeatures: o.tileFeatures, hidden: o.hidden };
  }
  return config;
}

/** On resume the run's own config decides; options that contradict it are errors. */
function resumedConfig(dir: string, o: PretextStageOptions, cache: ImageCache, givenArch: string | undefined): PretextConfig {
  const c = readPretextConfig(dir);
  if (c.task !== o.task) throw new Error(`${dir} was trained on '${c.task}', not '${o.task}'`);
  checkResumed(dir, c, cache, givenArch);
  return c;
}
