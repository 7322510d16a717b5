// `selfsup train supervised`: a network trained on the cache's own labels (the upper bound).
import { Command } from 'commander';
import { trainSupervised, supervisedSchema } from '../supervised/index.js';
import { stageCommand } from './schema_options.js';
import { reportRun } from './train_report.js';

export function trainCommand(): Command {
  const train = new Command('train').description('train a network on labels: the supervised baseline');
  train.addCommand(
    stageCommand('supervised', "train a network from scratch on the cache's labels (the upper bound for learned representations)", supervisedSchema, async (o) => {
      const r = await trainSupervised(o);
      reportRun(r, `classes (${r.summary?.classes ?? '?'})`, 'largest class', o.quiet);
    }),
  );
  return train;
}
