// Helpers for training into a run folder (its layout: src/artifacts/run_folder.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tidy, type Precision } from '../engine/index.js';
import { saveSafetensors, writeFileAtomic } from '../io/index.js';
import { openCache, type ImageCache } from '../data/cache/index.js';
import type { Module } from '../nn/index.js';
import { CONFIG_FILE, MODEL_FILE, SUMMARY_FILE, TRUNK_FILE } from '../artifacts/run_folder.js';
import { CHECKPOINT_FILE, METRICS_FILE } from './trainer.js';
import type { OptimConfig, ScheduleConfig } from './recipe.js';
import type { TrainStageOptions } from './schema.js';

export { CONFIG_FILE, MODEL_FILE, SUMMARY_FILE, TRUNK_FILE };

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
  /** 'bf16': the forward pass under autocast (absent: fp32, as runs made before the option). */
  precision?: 'bf16';
}

/** The training part of a run's config.json, from the stage's resolved options. */
export function runTrainConfig(o: TrainStageOptions): RunTrainConfig {
  return {
    epochs: o.epochs, batchSize: o.batchSize, optimizer: o.optimizer, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay,
    schedule: o.schedule, warmupSteps: o.warmup, seed: o.seed, valFraction: o.valFraction,
    ...(o.precision === 'bf16' ? { precision: 'bf16' as const } : {}),
  };
}

/** The Trainer's optim and schedule options from a recorded config. */
export function recipeOf(t: RunTrainConfig): { optim: OptimConfig; schedule: ScheduleConfig; precision: Precision } {
  return {
    optim: { optimizer: t.optimizer as OptimConfig['optimizer'], lr: t.lr, momentum: t.momentum, weightDecay: t.weightDecay },
    schedule: { schedule: t.schedule as ScheduleConfig['schedule'], warmupSteps: t.warmupSteps },
    precision: t.precision ?? 'fp32',
  };
}

/**
 * A new run needs an empty folder; a resumed one needs its config (a run stopped before its
 * first checkpoint resumes from the start).
 */
export function checkRunFolder(dir: string, resume: boolean | undefined): void {
  const hasCheckpoint = existsSync(join(dir, CHECKPOINT_FILE));
  const hasConfig = existsSync(join(dir, CONFIG_FILE));
  if (resume && !hasCheckpoint && !hasConfig) throw new Error(`${dir}: nothing to resume (no ${CHECKPOINT_FILE} or ${CONFIG_FILE})`);
  if (!resume && (hasCheckpoint || hasConfig)) {
    throw new Error(`${dir} already holds a run; pass --resume to continue it, or choose another --out`);
  }
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
