#!/usr/bin/env node
// The `selfsup` command.
import { buildProgram } from './program.js';
import { initFromEnv } from '../distributed/index.js';

// The commands that run as several processes (all through the one training recipe); the others
// would each do the whole work, writing the same files.
const DATA_PARALLEL = ['pretext train', 'train supervised', 'transfer train', 'eval finetune'];

// Started with RANK and WORLD_SIZE (selfsup launch, torchrun, a scheduler): join the group first.
try {
  const command = process.argv.slice(2, 4).join(' ');
  if (process.argv[2] !== 'launch' && !process.argv.includes('--help') && initFromEnv() && !DATA_PARALLEL.includes(command)) {
    throw new Error(`'selfsup ${command}' runs as one process; several processes run: ${DATA_PARALLEL.map((c) => `selfsup ${c}`).join(', ')}`);
  }
} catch (e) {
  console.error(`selfsup: ${(e as Error).message}`);
  process.exit(1);
}

buildProgram().parseAsync(process.argv).catch((e: Error) => {
  console.error(`selfsup: ${e.message}`);
  process.exit(1);
});
