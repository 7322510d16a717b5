// `selfsup bench step`: times full training steps (forward, backward, SGD update) of
// a zoo model on random input, as bench/reference/ does in PyTorch and C++ libtorch.
// `selfsup bench pretext`: the same for jigsaw / jigsaw++ training steps, puzzles included.
import { Command, Option } from 'commander';
import { manualSeed, setNumThreads, getNumThreads, randn, randint, tidy, F } from '../engine/index.js';
import { Rng } from '../data/rng.js';
import { ContextFreeNetwork } from '../pretext/cfn.js';
import { JigsawPuzzles, TILES } from '../pretext/jigsaw.js';
import { generatePermutations } from '../pretext/permutations.js';
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

export interface PretextBenchResult {
  impl: 'selfsup';
  task: 'jigsaw' | 'jigsaw++';
  arch: string;
  batch: number;
  threads: number;
  steps: number;
  msPerStep: number;
  imagesPerSec: number;
  tilesPerSec: number;
}

/**
 * One step: images (uint8 [B, C, 32, 32], fixed) / 255 -> puzzles (100 permutations; jigsaw++:
 * 0-2 occluded tiles) -> CFN forward, cross-entropy, backward, SGD (lr 0.01, momentum 0.9).
 */
export function benchPretext(o: { task: 'jigsaw' | 'jigsaw++'; arch: string; batch: number; steps: number; warmup: number; channels: number }): PretextBenchResult {
  manualSeed(0);
  const perms = generatePermutations({ count: 100, seed: 0 }).permutations;
  const model = new ContextFreeNetwork(o.arch, o.channels, perms.length);
  model.train();
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const puzzles = new JigsawPuzzles({ permutations: perms, occlusion: o.task === 'jigsaw++' ? [1 / 3, 1 / 3, 1 / 3] : [1] });
  const images = randint(0, 256, [o.batch, o.channels, 32, 32], { dtype: 'uint8' }).keep();
  let n = 0;
  const step = () =>
    tidy(() => {
      const { tiles, labels } = puzzles.make(images.float().div(255), new Rng(n++));
      const loss = F.crossEntropy(model.forward(tiles), labels);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  for (let i = 0; i < o.warmup; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < o.steps; i++) step();
  const ms = (performance.now() - t0) / o.steps;
  model.dispose();
  opt.dispose();
  images.dispose();
  return {
    impl: 'selfsup', task: o.task, arch: o.arch, batch: o.batch, threads: getNumThreads(), steps: o.steps,
    msPerStep: ms, imagesPerSec: (o.batch * 1000) / ms, tilesPerSec: (o.batch * TILES * 1000) / ms,
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
  bench
    .command('pretext')
    .description('time jigsaw / jigsaw++ training steps (puzzle making included) on random 32 px images')
    .addOption(new Option('--task <task>', 'pretext task').choices(['jigsaw', 'jigsaw++']).default('jigsaw++'))
    .option('--arch <name>', 'trunk architecture', 'alexnet_s')
    .option('--batch <n>', 'images per step', intArg('--batch'), 128)
    .option('--steps <n>', 'timed steps', intArg('--steps'), 20)
    .option('--warmup <n>', 'untimed steps first', intArg('--warmup', 0), 3)
    .option('--channels <n>', 'input channels', intArg('--channels'), 1)
    .option('--threads <n>', 'intra-op threads', intArg('--threads'))
    .option('--json', 'print one JSON object', false)
    .action((o) => {
      if (o.threads) setNumThreads(o.threads);
      const r = benchPretext(o);
      if (o.json) console.log(JSON.stringify(r));
      else console.log(`${r.task} ${r.arch} batch ${r.batch} on ${r.threads} threads: ${r.msPerStep.toFixed(1)} ms/step, ${r.imagesPerSec.toFixed(0)} images/s, ${r.tilesPerSec.toFixed(0)} tiles/s`);
    });
  return bench;
}
