#!/usr/bin/env node
// The `selfsup` command.
import { buildProgram } from './program.js';
import { initFromEnv } from '../distributed/index.js';

// The commands that run as several processes: the training recipe (data parallel), feature
// extraction (a shard of the cache per rank), k-means (a shard of the rows per rank) and the
// evaluations (a shard of the frozen pass and of the probes per rank), and the experiment runner
// (those stages on every rank, the others on rank 0). The others would each do the whole work,
// writing the same files.
const DATA_PARALLEL = ['pretext train', 'train supervised', 'transfer train', 'eval finetune'];
const SEVERAL = [...DATA_PARALLEL, 'features', 'cluster run', 'eval all', 'eval linear', 'eval knn', 'eval lowshot', 'run'];

/** The command as SEVERAL names it: `cluster --features ...` is `cluster run`, `features ...` is `features`. */
function commandOf(argv: string[]): string {
  const [first = '', second = ''] = argv.slice(2, 4);
  if (first === 'features' || first === 'run') return first;
  if (first === 'cluster' && (second === '' || second.startsWith('-'))) return 'cluster run';
  return `${first} ${second}`;
}

// Started with RANK and WORLD_SIZE (selfsup launch, torchrun, a scheduler): join the group first.
try {
  const command = commandOf(process.argv);
  if (process.argv[2] !== 'launch' && !process.argv.includes('--help') && initFromEnv() && !SEVERAL.includes(command)) {
    throw new Error(`'selfsup ${command}' runs as one process; several processes run: ${SEVERAL.map((c) => `selfsup ${c}`).join(', ')}`);
  }
} catch (e) {
  console.error(`selfsup: ${(e as Error).message}`);
  process.exit(1);
}

buildProgram().parseAsync(process.argv).catch((e: Error) => {
  console.error(`selfsup: ${e.message}`);
  process.exit(1);
});
