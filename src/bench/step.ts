// Timed training steps of a zoo model on random input (forward, backward, SGD update), as
// bench/reference/ does in PyTorch and C++ libtorch: `selfsup bench step` and bench/step.ts.
import { z } from 'zod';
import { manualSeed, getNumThreads, randn, randint } from '../engine/index.js';
import { msPerTrainingStep } from './timing.js';
import { SGD } from '../optim/index.js';
import { getArch, ARCHS } from '../models/index.js';
import { field } from '../util/options.js';

export const stepBenchSchema = z.strictObject({
  arch: field(z.string().default('convnet_s'), { description: `model (${Object.keys(ARCHS).join(', ')})`, arg: 'name' }),
  batch: field(z.int().min(1).default(128), { description: 'batch size', arg: 'n' }),
  steps: field(z.int().min(1).default(30), { description: 'timed steps', arg: 'n' }),
  warmup: field(z.int().min(0).default(5), { description: 'untimed steps first', arg: 'n' }),
  channels: field(z.int().min(1).default(1), { description: 'input channels', arg: 'n' }),
  classes: field(z.int().min(1).default(10), { description: 'output classes', arg: 'n' }),
  threads: field(z.int().min(1).optional(), { description: "intra-op threads (default: libtorch's)", role: 'control' }),
  channelsLast: field(z.boolean().default(false), { description: 'NHWC memory layout for activations and conv weights' }),
  json: field(z.boolean().default(false), { description: 'print one JSON object', role: 'control' }),
});

export interface StepBenchResult {
  impl: 'selfsup';
  arch: string;
  batch: number;
  threads: number;
  steps: number;
  channelsLast: boolean;
  msPerStep: number;
  imagesPerSec: number;
}

export function benchStep(o: z.output<typeof stepBenchSchema>): StepBenchResult {
  const arch = getArch(o.arch);
  manualSeed(0);
  const model = arch.build(o.classes, o.channels);
  if (o.channelsLast) model.toMemoryFormat('channelsLast');
  model.train();
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const [h, w] = arch.inputSize;
  const x = randn([o.batch, o.channels, h, w]).keep();
  const xin = (o.channelsLast ? x.contiguous('channelsLast') : x).keep();
  const y = randint(0, o.classes, [o.batch]).keep();
  const ms = msPerTrainingStep((t) => model.forward(t), opt, () => ({ x: xin, y }), o.warmup, o.steps);
  return {
    impl: 'selfsup', arch: o.arch, batch: o.batch, threads: getNumThreads(), steps: o.steps,
    channelsLast: o.channelsLast, msPerStep: ms, imagesPerSec: (o.batch * 1000) / ms,
  };
}

