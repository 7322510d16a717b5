// The options of `selfsup run` and of runExperiment().
import { z } from 'zod';
import { field } from '../util/options.js';

export const runSchema = z.strictObject({
  config: field(z.string(), { description: 'the experiment file (see configs/ and docs/experiments.md)', role: 'input', positional: true, arg: 'experiment.yaml' }),
  out: field(z.string().optional(), { description: 'the experiment folder', defaultText: 'runs/NAME', role: 'output', arg: 'dir' }),
  dryRun: field(z.boolean().default(false), { description: 'print the plan (which stages run, which are reused) and stop', role: 'control' }),
  only: field(z.array(z.string()).min(1).optional(), { description: 'run only these methods (and those they start from)', role: 'control', arg: 'method,...' }),
  set: field(z.array(z.string()).optional(), { description: 'override keys of the file, e.g. data.train.source=/images (paths relative to the current folder)', role: 'control', arg: 'key=value,...' }),
  seeds: field(z.array(z.int().min(0)).min(1).optional(), { description: "run every method once per seed (over the file's seeds:); the table shows mean ± std", role: 'control', arg: 'seed,...' }),
  device: field(z.string().regex(/^(auto|cpu|cuda(:\d+)?)$/, 'expected auto, cpu, cuda or cuda:N').optional(), {
    description: "where the training, features, cluster, eval and retrievals stages run: cpu, cuda, cuda:N, or auto (cuda:0 when a CUDA device is visible, else cpu); checked before anything is written; not part of any stage's key; unset, each stage's own device option (auto)", role: 'control', arg: 'device',
  }),
  threads: field(z.int().min(1).optional(), { description: "intra-op threads (default: libtorch's)", role: 'control' }),
  quiet: field(z.boolean().default(false), { description: "no stage progress bars (the runner's lines stay)", role: 'control' }),
});
export type RunOptions = z.output<typeof runSchema>;
