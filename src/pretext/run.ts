// A pretext run folder, and loading its trunk as a feature source.
//
//   RUN/config.json         what was trained and how (PretextConfig)
//   RUN/permutations.json   the jigsaw permutation set (jigsaw tasks)
//   RUN/checkpoint.safetensors, RUN/metrics.jsonl   the trainer's (resume, curves)
//   RUN/model.safetensors   the whole pretext network (CFN or rotation classifier), at the end
//   RUN/trunk.safetensors   its trunk alone (keys as ZooNet.trunk's), at the end
//   RUN/summary.json        final figures, at the end
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tidy, type Tensor } from '../engine/index.js';
import { loadSafetensors } from '../io/index.js';
import { Normalize } from '../data/augment/normalize.js';
import { buildZooNet, type Trunk } from '../models/index.js';
import { CONFIG_FILE, TRUNK_FILE, PRETEXT_RUN_FORMAT, TRANSFER_RUN_FORMAT, readRunConfig, type RunTrainConfig } from '../train/run_folder.js';

export const PRETEXT_TASKS = ['jigsaw', 'jigsaw++', 'rotation'] as const;
export type PretextTask = (typeof PRETEXT_TASKS)[number];

export const RUN_FORMAT = PRETEXT_RUN_FORMAT;
export const PERMUTATIONS_FILE = 'permutations.json';

export interface PretextConfig {
  format: typeof RUN_FORMAT;
  version: 1;
  task: PretextTask;
  arch: string;
  /** The cache trained on (absolute path), its image shape [C, H, W] and pixel statistics. */
  data: { cache: string; shape: [number, number, number]; mean: number[]; std: number[]; trainImages: number; valImages: number };
  /** Jigsaw tasks: the puzzle geometry and shortcut blockers. */
  jigsaw?: { permutations: number; minHamming: number; meanHamming: number; crop: number; cell: number; tile: number; grayscale: number; channelShift: number; occlusion: number[] };
  cfn?: { tileFeatures: number; hidden: number };
  /** Jigsaw tasks: training images on which the saved trunk's BatchNorm statistics are re-estimated at full size (0: none). */
  bnImages?: number;
  train: RunTrainConfig;
  /**
   * How images are prepared for the trunk when it is used as a feature source: 'per-image'
   * (zero mean, unit variance over each image, as jigsaw tiles were) or 'dataset' (the cache's
   * per-channel mean and std, as rotation training used).
   */
  input: 'per-image' | 'dataset';
}

/** Reads and checks RUN/config.json. */
export function readPretextConfig(runDir: string): PretextConfig {
  const c = readRunConfig<PretextConfig>(resolve(runDir), RUN_FORMAT);
  if (!PRETEXT_TASKS.includes(c.task)) throw new Error(`${join(resolve(runDir), CONFIG_FILE)}: unknown task ${JSON.stringify(c.task)}`);
  return c;
}

/** Per image: zero mean and unit variance over all its pixels (std floored as for jigsaw tiles). */
export function standardizePerImage(images: Tensor): Tensor {
  return tidy(() => {
    const b = images.shape[0]!;
    const flat = images.reshape(b, -1);
    const std = flat.std(1, { correction: 0, keepdim: true }).clamp(1e-2);
    return flat.sub(flat.mean(1, true)).div(std).view(images.shape);
  });
}

/** What loading a trunk needs from any finished run's config (pretext or cluster classification). */
export interface TrunkRunConfig {
  format: string;
  arch: string;
  data: { shape: [number, number, number]; mean: number[]; std: number[] };
  input: 'per-image' | 'dataset';
}

export interface SourceModel {
  trunk: Trunk;
  inChannels: number;
  /** Images in [0, 1], [B, C, H, W] -> the trunk's input, prepared as in training. */
  preprocess(images01: Tensor): Tensor;
  config: TrunkRunConfig;
  dispose(): void;
}

/** The trained trunk of a finished pretext or cluster-classification run, in eval mode. */
export function loadSourceModel(runDir: string): SourceModel {
  const config = readRunConfig<TrunkRunConfig>(resolve(runDir), PRETEXT_RUN_FORMAT, TRANSFER_RUN_FORMAT);
  const path = join(resolve(runDir), TRUNK_FILE);
  if (!existsSync(path)) throw new Error(`${runDir}: the run has no ${TRUNK_FILE} (it has not finished; resume it with --resume)`);
  const inChannels = config.data.shape[0];
  const net = buildZooNet(config.arch, 1, inChannels);
  const trunk = net.trunk;
  net.head.dispose();
  const { tensors } = loadSafetensors(path);
  try {
    trunk.loadStateDict(tensors);
  } catch (e) {
    trunk.dispose();
    throw new Error(`${path}: ${(e as Error).message}`);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  trunk.eval();
  const normalize = config.input === 'dataset' ? new Normalize(config.data.mean, config.data.std) : null;
  return {
    trunk,
    inChannels,
    config,
    preprocess: (x) => (normalize ? normalize.apply(x) : standardizePerImage(x)),
    dispose: () => trunk.dispose(),
  };
}
