// A pretext run folder: the run folder layout (src/artifacts/run_folder.ts), plus
//   RUN/permutations.json   the jigsaw permutation set (jigsaw tasks)
// config.json holds a PretextConfig; model.safetensors is the whole pretext network (CFN or
// rotation classifier), trunk.safetensors its trunk.
import { join, resolve } from 'node:path';
import { CONFIG_FILE, FORMATS, readRunConfig } from '../artifacts/index.js';
import type { RunTrainConfig } from '../train/run_folder.js';
import { PRETEXT_TASKS, type PretextTask } from './schema.js';

export { PRETEXT_TASKS, type PretextTask };
export const RUN_FORMAT = FORMATS.pretextRun;
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

