// Options every training command shares (pretext training, cluster classification).
import { Option, type Command } from 'commander';
import { setNumThreads } from '../engine/index.js';
import { OPTIMIZERS, SCHEDULES, type OptimConfig, type ScheduleConfig } from '../train/recipe.js';
import { floatArg, intArg } from './args.js';

export interface TrainCli {
  epochs?: number;
  batchSize?: number;
  optimizer?: OptimConfig['optimizer'];
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  schedule?: ScheduleConfig['schedule'];
  warmup?: number;
  seed?: number;
  valFraction?: number;
  threads?: number;
  resume?: boolean;
  checkpointEvery?: number;
  maxSteps?: number;
  quiet?: boolean;
}

/** Adds the shared options; `defaults` only documents the command's own defaults in --help. */
export function addTrainOptions(cmd: Command, defaults: { epochs: number; batchSize: number; optimizer: string; lr: number; weightDecay: number; warmup: number }): Command {
  return cmd
    .option('--epochs <n>', `passes over the training images (default ${defaults.epochs})`, intArg('--epochs'))
    .option('--batch-size <n>', `images per step (default ${defaults.batchSize})`, intArg('--batch-size'))
    .addOption(new Option('--optimizer <name>', `optimiser (default ${defaults.optimizer})`).choices(OPTIMIZERS as unknown as string[]))
    .option('--lr <x>', `peak learning rate (default ${defaults.lr})`, floatArg('--lr'))
    .option('--momentum <x>', 'SGD momentum (default 0.9)', floatArg('--momentum'))
    .option('--weight-decay <x>', `weight decay (default ${defaults.weightDecay})`, floatArg('--weight-decay'))
    .addOption(new Option('--schedule <name>', 'learning-rate schedule over all steps (default cosine)').choices(SCHEDULES as unknown as string[]))
    .option('--warmup <steps>', `linear warm-up steps from lr/10 (default ${defaults.warmup})`, intArg('--warmup', 0))
    .option('--seed <s>', 'seed of data order, augmentation and task randomness (default 0)', intArg('--seed', 0))
    .option('--val-fraction <f>', 'fraction of the images held out for validation (default 0.05)', floatArg('--val-fraction'))
    .option('--threads <n>', 'intra-op threads (default: libtorch\'s)', intArg('--threads'))
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--checkpoint-every <steps>', 'also checkpoint every N steps (default 500; 0: epoch ends only)', intArg('--checkpoint-every', 0))
    .option('--max-steps <n>', 'stop after N steps in total, with a checkpoint (resume later with --resume)', intArg('--max-steps'))
    .option('--quiet', 'no progress bar or messages');
}

export function applyThreads(o: TrainCli): void {
  if (o.threads) setNumThreads(o.threads);
}

export function optimFrom(o: TrainCli): Partial<OptimConfig> {
  return { optimizer: o.optimizer, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay };
}

export function scheduleFrom(o: TrainCli): ScheduleConfig | undefined {
  return o.schedule === undefined && o.warmup === undefined ? undefined : { schedule: o.schedule ?? 'cosine', warmupSteps: o.warmup };
}

/** Prints how a run ended; a stopped or interrupted run says how to go on (exit status 130 for a signal). */
export function reportRun(
  r: { dir: string; status: string; step: number; summary?: { trainAccuracy: number; valAccuracy: number | null; chance: number; seconds: number } },
  what: string,
  chanceLabel: string,
  quiet?: boolean,
): void {
  if (r.status !== 'completed') {
    console.error(`${r.status} at step ${r.step}; continue with the same command and --resume`);
    if (r.status === 'interrupted') process.exitCode = 130;
    return;
  }
  if (quiet) return;
  const s = r.summary!;
  const val = s.valAccuracy === null ? '' : `, validation ${(100 * s.valAccuracy).toFixed(2)}%`;
  console.log(`${what}: accuracy ${(100 * s.trainAccuracy).toFixed(2)}% (training)${val}; ${chanceLabel} ${(100 * s.chance).toFixed(2)}%`);
  console.log(`run: ${r.dir} (${s.seconds.toFixed(0)} s)`);
}
