// The `selfsup` command's tree of subcommands.
import { Command } from 'commander';
import { demoCommand } from './demo.js';
import { benchCommand } from './bench.js';
import { dataCommand } from './data.js';
import { pretextCommand } from './pretext.js';
import { clusterCommand } from './cluster.js';
import { featuresCommand } from './features.js';
import { transferCommand } from './transfer.js';
import { evalCommand } from './eval.js';
import { trainCommand } from './train.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { exportCommand } from './export.js';
import { launchCommand } from './launch.js';

export function buildProgram(): Command {
  const program = new Command()
  .name('selfsup')
  .description('Self-supervised representation learning with knowledge transfer (Noroozi et al., CVPR 2018), on libtorch')
  .version('0.1.0')
  // launch passes everything after its own options to the command it starts.
  .enablePositionalOptions();
  program.addCommand(demoCommand());
  program.addCommand(benchCommand());
  program.addCommand(dataCommand());
  program.addCommand(pretextCommand());
  program.addCommand(clusterCommand());
  program.addCommand(featuresCommand());
  program.addCommand(transferCommand());
  program.addCommand(trainCommand());
  program.addCommand(evalCommand());
  program.addCommand(reportCommand());
  program.addCommand(runCommand());
  program.addCommand(exportCommand());
  program.addCommand(launchCommand());
  return program;
}
