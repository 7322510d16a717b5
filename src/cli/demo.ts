// `selfsup demo`: the shipped quick experiment (configs/fmnist-quick.yaml): the paper's main chain
// on 10,000 Fashion-MNIST images against Jigsaw++ alone and a random network, with its report.
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { field } from '../util/options.js';
import { packageRoot } from '../util/package_root.js';
import { runExperiment } from '../experiment/index.js';
import { stageCommand } from './schema_options.js';

export const DEMO_CONFIG = join('configs', 'fmnist-quick.yaml');

export const demoSchema = z.strictObject({
  out: field(z.string().default(join('runs', 'fmnist-quick')), { description: 'the experiment folder (run again to reuse what is done)', role: 'output', arg: 'dir' }),
  threads: field(z.int().min(1).optional(), { description: "intra-op threads (default: libtorch's)", role: 'control' }),
  quiet: field(z.boolean().default(false), { description: "no stage progress bars (the runner's lines stay)", role: 'control' }),
});

export function demoCommand(): Command {
  return stageCommand('demo', `run ${DEMO_CONFIG}: Jigsaw++ vgg_s -> clusters -> alexnet_s against Jigsaw++ alexnet_s and a random alexnet_s (about 6 min on 2 cores)`, demoSchema, async (o) => {
    const r = await runExperiment({ config: join(packageRoot(), DEMO_CONFIG), out: o.out, threads: o.threads, quiet: o.quiet });
    if (r.interrupted) process.exitCode = 130;
    else if (r.failed.length > 0) process.exitCode = 1;
    else console.log(`open ${join(r.dir, 'report.html')} in a browser; 'selfsup run ${DEMO_CONFIG}' runs the same experiment from its file`);
  });
}
