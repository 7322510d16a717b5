// `selfsup pretext permutations`: choose a jigsaw permutation set.
import { Command } from 'commander';
import { resolve } from 'node:path';
import { Option } from 'commander';
import { floatArg, intArg } from './args.js';
import { addTrainOptions, applyThreads, optimFrom, reportRun, scheduleFrom, type TrainCli } from './train_options.js';
import { trainPretext } from '../pretext/train.js';
import { PRETEXT_TASKS, type PretextTask } from '../pretext/run.js';
import { writeFileAtomic } from '../io/atomic.js';
import { generatePermutations, permutationSetJson, PERMUTATION_COUNT } from '../pretext/permutations.js';

interface PermutationsCli {
  count: number;
  minHamming?: number;
  seed: number;
  json?: boolean;
  out?: string;
}

export function pretextCommand(): Command {
  const pretext = new Command('pretext').description('pretext tasks: train a source network, choose jigsaw permutation sets');

  pretext
    .command('permutations')
    .description('choose N of the 9! tile orders greedily by maximal mean Hamming distance (Noroozi & Favaro 2016)')
    .requiredOption('--count <n>', `number of permutations, 1..${PERMUTATION_COUNT}`, intArg('--count'))
    .option('--min-hamming <d>', 'minimum Hamming distance between any two chosen permutations', intArg('--min-hamming', 0))
    .option('--seed <s>', 'seed for the first (random) permutation', intArg('--seed', 0), 0)
    .option('--json', 'print the set as JSON')
    .option('--out <file>', 'also write the set as JSON to FILE (atomically)')
    .action((o: PermutationsCli) => {
      if (o.count > PERMUTATION_COUNT) throw new Error(`--count must be at most ${PERMUTATION_COUNT} (9!), got ${o.count}`);
      if (o.minHamming !== undefined && o.minHamming > 9) throw new Error(`--min-hamming must be at most 9, got ${o.minHamming}`);
      const t0 = performance.now();
      const set = generatePermutations({ count: o.count, minHamming: o.minHamming ?? 0, seed: o.seed });
      const seconds = (performance.now() - t0) / 1000;
      const json = permutationSetJson(set);
      if (o.out) writeFileAtomic(resolve(o.out), json);
      if (o.json) {
        process.stdout.write(json);
        return;
      }
      console.log(`permutations  ${set.permutations.length} of 9 tiles (seed ${o.seed}${o.minHamming ? `, min Hamming ${o.minHamming}` : ''})`);
      console.log(`Hamming       mean ${set.meanHamming.toFixed(4)}, min ${set.minHamming} over all pairs`);
      console.log(`first         [${set.permutations[0]!.join(', ')}]`);
      console.log(`time          ${seconds.toFixed(2)} s`);
      if (o.out) console.log(`written       ${resolve(o.out)}`);
    });

  const train = pretext
    .command('train')
    .description('train a source network on a pretext task (jigsaw, jigsaw++, rotation) into a run folder')
    .addOption(new Option('--task <task>', 'the pretext task').choices(PRETEXT_TASKS as unknown as string[]).makeOptionMandatory())
    .option('--arch <name>', 'the trunk architecture (see the model zoo; default alexnet_s)')
    .requiredOption('--data <cache>', "a prepared cache ('selfsup data prepare')")
    .requiredOption('--out <run>', 'the run folder to write')
    .option('--permutations <n>', 'jigsaw: size of the permutation set (default 100; the paper: 1000 for Jigsaw, 701 for Jigsaw++)', intArg('--permutations'))
    .option('--min-hamming <d>', 'jigsaw: minimum Hamming distance between permutations (the paper\'s Jigsaw++ set: 3)', intArg('--min-hamming', 0))
    .option('--permutation-file <file>', "jigsaw: a set from 'selfsup pretext permutations --out'")
    .option('--crop <px>', 'jigsaw: side of the random crop cut into 3x3 cells (default: image side - 2)', intArg('--crop'))
    .option('--tile <px>', 'jigsaw: side of a tile, at most crop/3 (default: cell side - 1)', intArg('--tile'))
    .option('--grayscale <p>', 'jigsaw, colour input: probability of a grayscale image (default 0.5)', floatArg('--grayscale'))
    .option('--channel-shift <px>', 'jigsaw, colour input: largest per-channel shift (default 2)', intArg('--channel-shift', 0))
    .option('--occlusion <p0,p1,...>', 'jigsaw++: probabilities of 0, 1, 2, ... tiles from another image (default 1/3,1/3,1/3)', probabilities)
    .option('--tile-features <n>', 'jigsaw: width of the per-tile fc (default 256)', intArg('--tile-features'))
    .option('--hidden <n>', 'jigsaw: width of the fc over the 9 tiles (default 512)', intArg('--hidden'))
    .option('--bn-images <n>', 'jigsaw: training images on which the saved trunk re-estimates its BatchNorm statistics at full size (default 10000; 0: keep those of tiles)', intArg('--bn-images', 0));
  addTrainOptions(train, { epochs: 2, batchSize: 128, optimizer: 'sgd', lr: 0.05, weightDecay: 5e-4, warmup: 100 }).action(async (o: PretextCli) => {
    applyThreads(o);
    if (o.task === 'jigsaw' && o.occlusion) throw new Error("--occlusion is for --task jigsaw++");
    if (o.task === 'rotation' && o.bnImages !== undefined) throw new Error('--bn-images is for the jigsaw tasks (a rotation trunk is trained on full images)');
    const r = await trainPretext({
      task: o.task, arch: o.arch, data: o.data, out: o.out, epochs: o.epochs, batchSize: o.batchSize,
      optim: optimFrom(o), schedule: scheduleFrom(o), seed: o.seed, valFraction: o.valFraction,
      permutations: o.permutations, minHamming: o.minHamming, permutationFile: o.permutationFile,
      crop: o.crop, tile: o.tile, grayscale: o.grayscale, channelShift: o.channelShift, occlusion: o.occlusion,
      tileFeatures: o.tileFeatures, hidden: o.hidden, bnImages: o.bnImages, resume: o.resume, checkpointEvery: o.checkpointEvery, maxSteps: o.maxSteps, quiet: o.quiet,
    });
    reportRun(r, `${o.task}: pretext`, 'chance', o.quiet);
  });

  return pretext;
}

interface PretextCli extends TrainCli {
  task: PretextTask;
  arch?: string;
  data: string;
  out: string;
  permutations?: number;
  minHamming?: number;
  permutationFile?: string;
  crop?: number;
  tile?: number;
  grayscale?: number;
  channelShift?: number;
  occlusion?: number[];
  tileFeatures?: number;
  hidden?: number;
  bnImages?: number;
}

/** '0.2,0.3,0.5' -> [0.2, 0.3, 0.5]; '1/3,1/3,1/3' is accepted too. */
function probabilities(v: string): number[] {
  const ps = v.split(',').map((x) => {
    const [a, b] = x.split('/');
    return b === undefined ? Number(a) : Number(a) / Number(b);
  });
  if (ps.some((p) => !(p >= 0 && p <= 1))) throw new Error(`--occlusion: expected probabilities like 0.2,0.3,0.5, got '${v}'`);
  return ps;
}
