// `selfsup transfer train`: cluster classification of a target network on pseudo-labels.
import { Command } from 'commander';
import { trainTransfer, transferSchema } from '../transfer/index.js';
import { stageCommand } from './schema_options.js';
import { reportRun } from './train_report.js';

export function transferCommand(): Command {
  const transfer = new Command('transfer').description('knowledge transfer: train a target network to predict clusters of a source\'s features');
  transfer.addCommand(
    stageCommand('train', 'train a target network from scratch on cluster pseudo-labels (cluster classification)', transferSchema, async (o) => {
      const r = await trainTransfer(o);
      reportRun(r, `clusters (${r.summary?.k ?? '?'})`, 'largest cluster', o.quiet);
    }),
  );
  return transfer;
}
