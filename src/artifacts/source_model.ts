// The trained trunk of a finished run (pretext, cluster classification, supervised) as a network to
// extract features with, its input prepared as in its training.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Tensor } from '../engine/index.js';
import { loadSafetensors } from '../io/index.js';
import { Normalize, standardizePerImage } from '../data/augment/normalize.js';
import { buildTrunk, type Trunk } from '../models/index.js';
import { RUN_FORMATS, TRUNK_FILE, finishedRun, readRunConfig } from './run_folder.js';

/** What loading a trunk needs from any finished run's config (pretext, cluster classification, supervised). */
export interface TrunkRunConfig {
  format: string;
  arch: string;
  data: { shape: [number, number, number]; mean: number[]; std: number[] };
  /**
   * How images are prepared for the trunk: 'per-image' (zero mean, unit variance over each image,
   * as jigsaw tiles were) or 'dataset' (the training cache's per-channel mean and std).
   */
  input: 'per-image' | 'dataset';
}

export interface SourceModel {
  trunk: Trunk;
  inChannels: number;
  /** Images in [0, 1], [B, C, H, W] -> the trunk's input, prepared as in training. */
  preprocess(images01: Tensor): Tensor;
  config: TrunkRunConfig;
  /** The run's content key (null for a run folder written before manifests). */
  key: string | null;
  dispose(): void;
}

/** The trained trunk of a finished pretext, cluster-classification or supervised run, in eval mode. */
export function loadSourceModel(runDir: string): SourceModel {
  const dir = resolve(runDir);
  const config = readRunConfig<TrunkRunConfig>(dir, ...RUN_FORMATS);
  const path = join(dir, TRUNK_FILE);
  if (!existsSync(path)) throw new Error(`${runDir}: the run has no ${TRUNK_FILE} (it has not finished; resume it with --resume)`);
  const manifest = finishedRun(dir, RUN_FORMATS);
  const inChannels = config.data.shape[0];
  const trunk = buildTrunk(config.arch, inChannels);
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
    key: manifest?.key ?? null,
    preprocess: (x) => (normalize ? normalize.apply(x) : standardizePerImage(x)),
    dispose: () => trunk.dispose(),
  };
}
