// `selfsup transfer train`: cluster classification of a target network on pseudo-labels.
import { Command } from 'commander';
import { intArg } from './args.js';
import { addTrainOptions, applyThreads, optimFrom, reportRun, scheduleFrom, type TrainCli } from './train_options.js';
import { trainTransfer } from '../transfer/index.js';

interface TransferCli extends TrainCli {
  clusters: string;
  arch?: string;
  data: string;
  out: string;
  balanced?: boolean;
  cropPadding?: number;
  flip: boolean;
}

export function transferCommand(): Command {
  const transfer = new Command('transfer').description('knowledge transfer: train a target network to predict clusters of a source\'s features');
  const train = transfer
    .command('train')
    .description('train a target network from scratch on cluster pseudo-labels (cluster classification)')
    .requiredOption('--clusters <dir|file.npy>', "a clustering folder ('selfsup cluster --out') or pseudo-labels ('selfsup cluster assign --out')")
    .option('--arch <name>', 'the target architecture (see the model zoo; default alexnet_s)')
    .requiredOption('--data <cache>', 'the cache whose images the pseudo-labels are for (same images, same order)')
    .requiredOption('--out <run>', 'the run folder to write')
    .option('--balanced', 'sample clusters uniformly, then an image of the cluster (as DeepCluster)')
    .option('--crop-padding <px>', 'random-crop padding (default 2; 0: no random crop)', intArg('--crop-padding', 0))
    .option('--no-flip', 'no random horizontal flips');
  addTrainOptions(train, { epochs: 2, batchSize: 128, optimizer: 'sgd', lr: 0.05, weightDecay: 5e-4, warmup: 100 }).action(async (o: TransferCli) => {
    applyThreads(o);
    const r = await trainTransfer({
      clusters: o.clusters, arch: o.arch, data: o.data, out: o.out, epochs: o.epochs, batchSize: o.batchSize,
      optim: optimFrom(o), schedule: scheduleFrom(o), seed: o.seed, valFraction: o.valFraction, balanced: o.balanced,
      cropPadding: o.cropPadding, flip: o.flip, resume: o.resume, checkpointEvery: o.checkpointEvery, maxSteps: o.maxSteps, quiet: o.quiet,
    });
    reportRun(r, `clusters (${r.summary?.k ?? '?'})`, 'largest cluster', o.quiet);
  });
  return transfer;
}
