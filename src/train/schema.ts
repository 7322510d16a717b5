// The options every run-folder training stage shares (pretext training, cluster classification):
// one schema, extended by each stage's own.
import { z } from 'zod';
import { deviceField, field, precisionField } from '../util/options.js';
import { OPTIMIZERS, SCHEDULES } from './recipe.js';

export const trainFields = {
  data: field(z.string(), { description: "a prepared cache ('selfsup data prepare')", role: 'input', arg: 'cache' }),
  out: field(z.string(), { description: 'the run folder to write', role: 'output', arg: 'run' }),
  epochs: field(z.int().min(1).default(2), { description: 'passes over the training images' }),
  batchSize: field(z.int().min(1).default(128), { description: 'images per step' }),
  optimizer: field(z.enum(OPTIMIZERS).default('sgd'), { description: 'optimiser' }),
  lr: field(z.number().positive().default(0.05), { description: 'peak learning rate' }),
  momentum: field(z.number().min(0).max(1).default(0.9), { description: 'SGD momentum' }),
  weightDecay: field(z.number().min(0).default(5e-4), { description: 'weight decay' }),
  schedule: field(z.enum(SCHEDULES).default('cosine'), { description: 'learning-rate schedule over all steps' }),
  warmup: field(z.int().min(0).default(100), { description: 'linear warm-up steps from lr/10', arg: 'steps' }),
  seed: field(z.int().min(0).default(0), { description: 'seed of weights, data order, augmentation and task randomness' }),
  valFraction: field(z.number().min(0).max(0.5).default(0.05), { description: 'fraction of the images held out for validation', arg: 'f' }),
  precision: precisionField('the arithmetic of the forward pass', '; weights, gradients and the optimiser stay float32'),
  threads: field(z.int().min(1).optional(), { description: "intra-op threads (default: libtorch's)", role: 'control' }),
  device: deviceField('where to train'),
  deterministic: field(z.boolean().default(false), {
    description: 'deterministic kernels only (libtorch deterministic algorithms, deterministic cuDNN); an op without one is an error', role: 'control',
  }),
  syncBn: field(z.boolean().default(false), {
    description: 'several processes: synchronised BatchNorm, batch statistics over the global batch (torch.nn.SyncBatchNorm); no effect in one process', role: 'control',
  }),
  resume: field(z.boolean().default(false), { description: 'continue the run in --out from its last checkpoint', role: 'control' }),
  checkpointEvery: field(z.int().min(0).default(500), { description: 'also checkpoint every N steps (0: epoch ends only)', role: 'control', arg: 'steps' }),
  maxSteps: field(z.int().min(1).optional(), { description: 'stop after N steps in total, with a checkpoint (resume later with --resume)', role: 'control' }),
  quiet: field(z.boolean().default(false), { description: 'no progress bar or messages', role: 'control' }),
};

export const trainSchema = z.strictObject(trainFields);
export type TrainStageOptions = z.output<typeof trainSchema>;
