// `selfsup launch --nproc N -- <command...>`: N local processes of a selfsup command (or, with
// --program, of any program), with torchrun's environment variables.
import type { Command } from 'commander';
import { launch, launchSchema } from '../distributed/index.js';
import { schemaOptions, stageCommand } from './schema_options.js';

export function launchCommand(): Command {
  const cmd = stageCommand('launch', 'run a command as several processes (data parallel), with the variables torchrun sets', launchSchema, () => {});
  cmd
    .argument('<command...>', 'after --: the selfsup command and its options (or, with --program, a program)')
    .passThroughOptions()
    .action(async (words: string[], parsed: Record<string, unknown>) => {
      const code = await launch(schemaOptions(launchSchema, parsed), words);
      if (code !== 0) process.exit(code);
    });
  return cmd;
}
