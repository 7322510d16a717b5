// The options of `selfsup eval linear|knn|lowshot|all` and of evaluate(): one schema, every
// protocol reading the fields it needs.
import { z } from 'zod';
import { deviceField, field, precisionField } from '../util/options.js';
import { LINEAR_PROBE_DEFAULTS } from './linear.js';
import { MAX_FEATURE_BYTES } from './extract.js';
import { LOW_SHOT_DEFAULTS } from './lowshot.js';

/** What 'eval all' runs of low-shot: 10 and 100 images per class. */
export const ALL_SHOTS = [10, 100];

export const EVAL_PROTOCOLS = ['linear', 'knn', 'lowshot', 'all'] as const;
export type EvalProtocol = (typeof EVAL_PROTOCOLS)[number];

const list = <T extends z.ZodType>(t: T) => z.array(t).min(1);

export const evalSchema = z.strictObject({
  model: field(z.string().optional(), {
    description: "the network: a finished run folder, or random:ARCH (a freshly initialised zoo net, seeded by --seed)", role: 'input', arg: 'run|random:ARCH',
  }),
  features: field(z.string().optional(), { description: "instead of --model: a features file of the training split ('selfsup features')", role: 'input', arg: 'train.npy' }),
  testFeatures: field(z.string().optional(), { description: 'with --features: the features file of the test split', role: 'input', arg: 'test.npy' }),
  data: field(z.string(), { description: 'the labeled training cache (probes and kNN bank are fitted on it)', role: 'input', arg: 'cache' }),
  test: field(z.string(), { description: 'the labeled test cache (accuracies are measured on it)', role: 'input', arg: 'cache' }),
  out: field(z.string().optional(), { description: 'folder for PROTOCOL.json results', defaultText: 'RUN/eval; required for random:ARCH and --features', role: 'output', arg: 'dir' }),
  taps: field(list(z.string()).optional(), { description: 'layers to probe', defaultText: 'conv1..conv5; ResNet: conv1, layer1..4', arg: 'tap,...' }),
  dim: field(z.int().min(1).optional(), { description: 'each tap is average-pooled to about this many values', defaultText: '2000 for 32 px nets, 9216 for full-size', arg: 'n' }),
  gap: field(z.boolean().default(true), { description: 'also probe every tap globally average-pooled' }),
  augment: field(z.boolean().default(false), {
    description: 'linear probes: run the frozen trunk on augmented training images (crop, flip) every epoch instead of on features extracted once (slower)',
  }),
  epochs: field(z.int().min(1).default(LINEAR_PROBE_DEFAULTS.epochs), { description: 'linear probes: passes over the training features', arg: 'n' }),
  lr: field(z.number().positive().default(LINEAR_PROBE_DEFAULTS.lr), { description: 'linear probes: peak learning rate (SGD, momentum 0.9, nesterov, cosine)', arg: 'x' }),
  weightDecay: field(z.number().min(0).default(LINEAR_PROBE_DEFAULTS.weightDecay), { description: 'linear probes: weight decay', arg: 'x' }),
  probeBatch: field(z.int().min(1).default(LINEAR_PROBE_DEFAULTS.batchSize), { description: 'linear probes: rows per step', arg: 'n' }),
  k: field(list(z.int().min(1)).default([20]), { description: 'kNN: neighbours (several: 20,200)', arg: 'k,...' }),
  temperature: field(z.number().positive().default(0.07), { description: 'kNN: vote weight exp(similarity / T)', arg: 't' }),
  knnHead: field(z.string().optional(), { description: "kNN and low-shot: the head to use, e.g. conv5:gap or conv4", defaultText: "kNN: the last tap's global pool; low-shot: the last tap", arg: 'head' }),
  shots: field(z.array(z.int().min(1)).optional(), { description: 'low-shot: labeled images per class', defaultText: '1,10,100; eval all: 10,100', arg: 'n,...' }),
  fractions: field(z.array(z.number().gt(0).max(1)).optional(), { description: 'low-shot: fractions of the labels', defaultText: '0.01,0.1; eval all: none', arg: 'f,...' }),
  draws: field(z.int().min(1).default(LOW_SHOT_DEFAULTS.draws), { description: 'low-shot: seeded draws per setting (mean and std reported)', arg: 'n' }),
  memoryLimit: field(z.number().positive().default(MAX_FEATURE_BYTES / 2 ** 30), {
    description: 'GiB of features one split may hold in memory; above it they stream from .npy files under OUT (removed at the end) and the probes shuffle by blocks', arg: 'GiB',
  }),
  seed: field(z.int().min(0).default(0), { description: 'seed of a random:ARCH network, probe order and low-shot draws', arg: 's' }),
  batchSize: field(z.int().min(1).default(256), { description: 'images per batch of the frozen pass', arg: 'n' }),
  precision: precisionField('the arithmetic of the frozen pass', "; --augment's passes too; the features are kept as float32; the probes, kNN and low-shot stay float32"),
  threads: field(z.int().min(1).optional(), { description: "intra-op threads (default: libtorch's)", role: 'control' }),
  device: deviceField('where the frozen network runs (its pass over both splits; with --augment, every epoch)', '; the features come back to the CPU, where the linear probes, kNN and low-shot run'),
  json: field(z.boolean().default(false), { description: 'print the results as JSON', role: 'control' }),
  quiet: field(z.boolean().default(false), { description: 'no progress bars', role: 'control' }),
});

export type EvalOptions = z.input<typeof evalSchema>;
export type EvalStageOptions = z.output<typeof evalSchema>;
