// Optimiser and learning-rate schedule from plain options, as the CLI and configs give them.
// The schedule is stepped once per training step (iteration), after optimizer.step().
import type { Module } from '../nn/index.js';
import { SGD, Adam, AdamW, LinearLR, CosineAnnealingLR, StepLR, SequentialLR, type Optimizer, type LRScheduler } from '../optim/index.js';

export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
export const SCHEDULES = ['constant', 'cosine', 'step'] as const;

export interface OptimConfig {
  optimizer: (typeof OPTIMIZERS)[number];
  lr: number;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export interface ScheduleConfig {
  schedule: (typeof SCHEDULES)[number];
  /** Linear warm-up from lr / 10 over this many steps (default 0). */
  warmupSteps?: number;
  /** 'step': multiply lr by gamma every stepSize steps. */
  stepSize?: number;
  gamma?: number;
}

export function buildOptimizer(model: Module, c: OptimConfig): Optimizer<any> {
  const params = [...model.parameters()].filter((p) => p.requiresGrad);
  if (!(c.lr > 0)) throw new RangeError(`learning rate must be positive, got ${c.lr}`);
  switch (c.optimizer) {
    case 'sgd':
      return new SGD(params, { lr: c.lr, momentum: c.momentum ?? 0.9, nesterov: c.nesterov ?? false, weightDecay: c.weightDecay ?? 0 });
    case 'adam':
      return new Adam(params, { lr: c.lr, weightDecay: c.weightDecay ?? 0 });
    case 'adamw':
      return new AdamW(params, { lr: c.lr, weightDecay: c.weightDecay ?? 1e-2 });
    default:
      throw new Error(`unknown optimizer '${String(c.optimizer)}'; available: ${OPTIMIZERS.join(', ')}`);
  }
}

/** The schedule over `totalSteps` iterations, or null for a constant rate without warm-up. */
export function buildScheduler(opt: Optimizer<any>, c: ScheduleConfig, totalSteps: number): LRScheduler | null {
  const warmup = c.warmupSteps ?? 0;
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new RangeError(`warmupSteps must be a non-negative integer, got ${warmup}`);
  const rest = Math.max(1, totalSteps - warmup);
  let main: LRScheduler | null;
  switch (c.schedule) {
    case 'constant':
      main = null;
      break;
    case 'cosine':
      main = new CosineAnnealingLR(opt, rest);
      break;
    case 'step': {
      const size = c.stepSize ?? Math.max(1, Math.floor(rest / 3));
      if (!(Number.isInteger(size) && size > 0)) throw new RangeError(`stepSize must be a positive integer, got ${size}`);
      main = new StepLR(opt, size, c.gamma ?? 0.1);
      break;
    }
    default:
      throw new Error(`unknown schedule '${String(c.schedule)}'; available: ${SCHEDULES.join(', ')}`);
  }
  if (warmup === 0) return main;
  const warm = new LinearLR(opt, 0.1, 1, warmup);
  if (main === null) return warm; // LinearLR holds the end factor after its last step
  return new SequentialLR(opt, [warm, main], [warmup]);
}
