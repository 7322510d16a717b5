// `selfsup run EXPERIMENT.yaml`: an experiment from one file (src/experiment/).
import type { Command } from 'commander';
import { runExperiment, runSchema, ConfigError } from '../experiment/index.js';
import { stageCommand } from './schema_options.js';

export function runCommand(): Command {
  return stageCommand('run', 'run an experiment: data, methods (pretext, features, clusters, transfer), evaluation, report; reuses finished stages', runSchema, async (o) => {
    try {
      const r = await runExperiment({ ...o, only: o.only, set: o.set });
      if (r.interrupted) process.exitCode = 130;
      else if (r.failed.length > 0) process.exitCode = 1;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      console.error(`${e.problems.length} problem${e.problems.length > 1 ? 's' : ''} in the experiment file:\n${e.message}`);
      process.exitCode = 2;
    }
  });
}
