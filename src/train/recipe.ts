// Optimiser and learning-rate schedule from plain options, as the CLI and configs give them.
// The schedule is stepped once per training step (iteration), after optimizer.step(); it scales
// every parameter group's rate by the same factor.
import type { Tensor } from '../engine/index.js';
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

/** Parameters trained with their own rate and weight decay (e.g. a trunk fine-tuned slower than a new head). */
export interface ParamGroupConfig {
  /** The group's parameters: tensors of the model, or a submodule (its trainable parameters). */
  params: Tensor[] | Module;
  /** The group's learning rate (may be 0: frozen, but still in the optimiser). Default: optim lr * lrScale. */
  lr?: number;
  /** The group's rate as a multiple of the optim config's lr (default 1); give lr or lrScale, not both. */
  lrScale?: number;
  /** Default: the optim config's weight decay. */
  weightDecay?: number;
}

type Group = { params: Tensor[]; lr: number; weightDecay?: number };

/**
 * The optimiser's groups: `groups` in their order, then one with the model's trainable
 * parameters in no group (when there are any), which takes the optim config's values.
 */
function optimizerGroups(model: Module, c: OptimConfig, groups: ParamGroupConfig[]): Group[] {
  const all = new Set(model.parameters());
  const taken = new Set<Tensor>();
  const out = groups.map((g, i): Group => {
    const name = `paramGroups[${i}]`;
    if (g.lr !== undefined && g.lrScale !== undefined) throw new Error(`${name}: give lr or lrScale, not both`);
    for (const k of ['lr', 'lrScale', 'weightDecay'] as const) {
      const v = g[k];
      if (v !== undefined && !(typeof v === 'number' && v >= 0 && Number.isFinite(v))) throw new RangeError(`${name}.${k} must be a non-negative number, got ${v}`);
    }
    const ps = Array.isArray(g.params) ? g.params : typeof g.params?.parameters === 'function' ? g.params.parameters() : null;
    if (ps === null) throw new TypeError(`${name}.params must be an array of the model's parameters or a submodule`);
    ps.forEach((p, j) => {
      if (!all.has(p)) throw new Error(`${name}.params[${j}] is not a parameter of the model`);
      if (taken.has(p)) throw new Error(`${name}.params[${j}] is already in an earlier group`);
      taken.add(p);
    });
    return { params: ps.filter((p) => p.requiresGrad), lr: g.lr ?? c.lr * (g.lrScale ?? 1), ...(g.weightDecay !== undefined ? { weightDecay: g.weightDecay } : {}) };
  });
  const rest = [...all].filter((p) => p.requiresGrad && !taken.has(p));
  if (rest.length > 0) out.push({ params: rest, lr: c.lr });
  if (out.every((g) => g.params.length === 0)) throw new Error('the model has no trainable parameters');
  return out;
}

/** The optimiser for the model's trainable parameters; `groups` give some of them their own lr and weight decay. */
export function buildOptimizer(model: Module, c: OptimConfig, groups: ParamGroupConfig[] = []): Optimizer<any> {
  if (!(c.lr > 0)) throw new RangeError(`learning rate must be positive, got ${c.lr}`);
  const params = groups.length > 0 ? optimizerGroups(model, c, groups) : [...model.parameters()].filter((p) => p.requiresGrad);
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
