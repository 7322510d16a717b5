// `selfsup bench step`: times full training steps (forward, backward, SGD update) of
// a zoo model on random input, as bench/reference/ does in PyTorch and C++ libtorch.
import { Command } from 'commander';
import { manualSeed, setNumThreads, getNumThreads, randn, randint, tidy, F } from '../engine/index.js';
import { SGD } from '../optim/index.js';
import { getArch, ARCHS } from '../models/index.js';
import { intArg } from './args.js';

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

export function benchStep(o: { arch: string; batch: number; steps: number; warmup: number; channels: number; channelsLast: boolean; classes: number }): StepBenchResult {
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
  const step = () =>
    tidy(() => {
      const loss = F.crossEntropy(model.forward(xin), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  for (let i = 0; i < o.warmup; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < o.steps; i++) step();
  const ms = (performance.now() - t0) / o.steps;
  return {
    impl: 'selfsup', arch: o.arch, batch: o.batch, threads: getNumThreads(), steps: o.steps,
    channelsLast: o.channelsLast, msPerStep: ms, imagesPerSec: (o.batch * 1000) / ms,
  };
}

export function benchCommand(): Command {
  const bench = new Command('bench').description('performance measurements');
  bench
    .command('step')
    .description('time training steps of a model on random input')
    .option('--arch <name>', `model (${Object.keys(ARCHS).join(', ')})`, 'convnet_s')
    .option('--batch <n>', 'batch size', intArg('--batch'), 128)
    .option('--steps <n>', 'timed steps', intArg('--steps'), 30)
    .option('--warmup <n>', 'untimed steps first', intArg('--warmup', 0), 5)
    .option('--channels <n>', 'input channels', intArg('--channels'), 1)
    .option('--classes <n>', 'output classes', intArg('--classes'), 10)
    .option('--threads <n>', 'intra-op threads', intArg('--threads'))
    .option('--channels-last', 'NHWC memory layout for activations and conv weights', false)
    .option('--json', 'print one JSON object', false)
    .action((o) => {
      if (o.threads) setNumThreads(o.threads);
      const r = benchStep(o);
      if (o.json) console.log(JSON.stringify(r));
      else {
        console.log(`${r.arch} batch ${r.batch} on ${r.threads} threads${r.channelsLast ? ' (channels-last)' : ''}: ` +
          `${r.msPerStep.toFixed(2)} ms/step, ${r.imagesPerSec.toFixed(0)} images/s`);
      }
    });
  return bench;
}
