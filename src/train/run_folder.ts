// What every training run folder shares (pretext runs, cluster-classification runs):
// config.json, metrics.jsonl, checkpoint.safetensors while training; model.safetensors,
// trunk.safetensors and summary.json once it completes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tidy } from '../engine/index.js';
import { saveSafetensors, writeFileAtomic } from '../io/index.js';
import { openCache, type ImageCache } from '../data/cache/index.js';
import type { Module } from '../nn/index.js';
import { CHECKPOINT_FILE, METRICS_FILE } from './trainer.js';
import type { OptimConfig, ScheduleConfig } from './recipe.js';

export const PRETEXT_RUN_FORMAT = 'selfsup.pretext-run';
export const TRANSFER_RUN_FORMAT = 'selfsup.transfer-run';
export const CONFIG_FILE = 'config.json';
export const MODEL_FILE = 'model.safetensors';
export const TRUNK_FILE = 'trunk.safetensors';
export const SUMMARY_FILE = 'summary.json';

/** Options every run-folder training takes (pretext training, cluster classification). */
export interface RunOptions {
  /** A prepared cache folder. */
  data: string;
  /** The run folder. */
  out: string;
  epochs?: number;
  batchSize?: number;
  optim?: Partial<OptimConfig>;
  schedule?: ScheduleConfig;
  seed?: number;
  /** Fraction of the cache held out for validation (default 0.05). */
  valFraction?: number;
  /** Continue the run in `out` from its checkpoint. */
  resume?: boolean;
  checkpointEvery?: number;
  /** Stop (with a checkpoint, resumable) after this many steps in total. */
  maxSteps?: number;
  quiet?: boolean;
}

/** The training options a run's config.json records. */
export interface RunTrainConfig {
  epochs: number;
  batchSize: number;
  optimizer: string;
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule: string;
  warmupSteps: number;
  seed: number;
  valFraction: number;
}

/** Options as given (undefined: default) -> the recorded config, with the run defaults. */
export function runTrainConfig(o: Omit<RunOptions, 'data' | 'out'>): RunTrainConfig {
  return {
    epochs: o.epochs ?? 2, batchSize: o.batchSize ?? 128, optimizer: o.optim?.optimizer ?? 'sgd', lr: o.optim?.lr ?? 0.05,
    momentum: o.optim?.momentum ?? 0.9, weightDecay: o.optim?.weightDecay ?? 5e-4, schedule: o.schedule?.schedule ?? 'cosine',
    warmupSteps: o.schedule?.warmupSteps ?? 100, seed: o.seed ?? 0, valFraction: o.valFraction ?? 0.05,
  };
}

/** The Trainer's optim and schedule options from a recorded config. */
export function recipeOf(t: RunTrainConfig): { optim: OptimConfig; schedule: ScheduleConfig } {
  return {
    optim: { optimizer: t.optimizer as OptimConfig['optimizer'], lr: t.lr, momentum: t.momentum, weightDecay: t.weightDecay },
    schedule: { schedule: t.schedule as ScheduleConfig['schedule'], warmupSteps: t.warmupSteps },
  };
}

/** A new run needs an empty folder; a resumed one needs a checkpoint. */
export function checkRunFolder(dir: string, resume: boolean | undefined): void {
  const hasCheckpoint = existsSync(join(dir, CHECKPOINT_FILE));
  if (resume && !hasCheckpoint) throw new Error(`${dir}: nothing to resume (no ${CHECKPOINT_FILE})`);
  if (!resume && (hasCheckpoint || existsSync(join(dir, CONFIG_FILE)))) {
    throw new Error(`${dir} already holds a run; pass --resume to continue it, or choose another --out`);
  }
}

/** Reads a run's config.json, checking its format (one of `formats`). */
export function readRunConfig<T extends { format: string }>(dir: string, ...formats: string[]): T {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) throw new Error(`${dir}: not a run folder (no ${CONFIG_FILE})`);
  let c: T;
  try {
    c = JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!formats.includes(c?.format)) throw new Error(`${path}: format is ${JSON.stringify(c?.format)}, expected ${formats.map((f) => `'${f}'`).join(' or ')}`);
  return c;
}

/** A cache for training: in memory when it is under 2 GiB (or as `memory` says). */
export function openTrainingCache(path: string, memory?: boolean): ImageCache {
  const peek = openCache(path);
  if (memory === false || (memory === undefined && peek.count * peek.bytesPerImage > 2 * 2 ** 30)) return peek;
  peek.close();
  return openCache(path, { memory: true });
}

export interface EpochLine {
  accuracy: number;
  valAccuracy?: number;
  valLoss?: number;
}

/** The last epoch line of a run's metrics. */
export function lastEpoch(dir: string): EpochLine | null {
  const path = join(dir, METRICS_FILE);
  if (!existsSync(path)) return null;
  for (const l of readFileSync(path, 'utf8').trim().split('\n').reverse()) {
    if (!l) continue;
    const m = JSON.parse(l) as EpochLine & { type: string };
    if (m.type === 'epoch') return m;
  }
  return null;
}

/** Writes the finished run's model, trunk and summary. */
export function saveFinishedRun(dir: string, model: Module, trunk: Module, info: object, summary: object): void {
  tidy(() => {
    saveSafetensors(join(dir, MODEL_FILE), model.stateDict(), { selfsup: JSON.stringify(info) });
    saveSafetensors(join(dir, TRUNK_FILE), trunk.stateDict(), { selfsup: JSON.stringify({ ...info, tap: 'trunk' }) });
  });
  writeFileAtomic(join(dir, SUMMARY_FILE), JSON.stringify(summary, null, 2) + '\n');
}
