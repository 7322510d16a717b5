// `selfsup pretext permutations`: choose a jigsaw permutation set.
import { Command } from 'commander';
import { resolve } from 'node:path';
import { intArg } from './args.js';
import { writeFileAtomic } from '../io/atomic.js';
import { generatePermutations, PERMUTATION_COUNT, type PermutationSet } from '../pretext/permutations.js';

interface PermutationsCli {
  count: number;
  minHamming?: number;
  seed: number;
  json?: boolean;
  out?: string;
}

/** The set as the JSON the command prints and writes: one permutation per line. */
export function permutationSetJson(s: PermutationSet): string {
  const rows = s.permutations.map((p) => `    [${p.join(', ')}]`).join(',\n');
  return `{\n  "permutations": [\n${rows}\n  ],\n  "minHamming": ${s.minHamming},\n  "meanHamming": ${s.meanHamming}\n}\n`;
}

export function pretextCommand(): Command {
  const pretext = new Command('pretext').description('pretext tasks: jigsaw permutation sets');

  pretext
    .command('permutations')
    .description('choose N of the 9! tile orders greedily by maximal mean Hamming distance (Noroozi & Favaro 2016)')
    .requiredOption('--count <n>', `number of permutations, 1..${PERMUTATION_COUNT}`, intArg('--count'))
    .option('--min-hamming <d>', 'minimum Hamming distance between any two chosen permutations', intArg('--min-hamming', 0))
    .option('--seed <s>', 'seed for the first (random) permutation', intArg('--seed', 0), 0)
    .option('--json', 'print the set as JSON')
    .option('--out <file>', 'also write the set as JSON to FILE (atomically)')
    .action((o: PermutationsCli) => {
      if (o.count > PERMUTATION_COUNT) throw new Error(`--count must be at most ${PERMUTATION_COUNT} (9!), got ${o.count}`);
      if (o.minHamming !== undefined && o.minHamming > 9) throw new Error(`--min-hamming must be at most 9, got ${o.minHamming}`);
      const t0 = performance.now();
      const set = generatePermutations({ count: o.count, minHamming: o.minHamming ?? 0, seed: o.seed });
      const seconds = (performance.now() - t0) / 1000;
      const json = permutationSetJson(set);
      if (o.out) writeFileAtomic(resolve(o.out), json);
      if (o.json) {
        process.stdout.write(json);
        return;
      }
      console.log(`permutations  ${set.permutations.length} of 9 tiles (seed ${o.seed}${o.minHamming ? `, min Hamming ${o.minHamming}` : ''})`);
      console.log(`Hamming       mean ${set.meanHamming.toFixed(4)}, min ${set.minHamming} over all pairs`);
      console.log(`first         [${set.permutations[0]!.join(', ')}]`);
      console.log(`time          ${seconds.toFixed(2)} s`);
      if (o.out) console.log(`written       ${resolve(o.out)}`);
    });

  return pretext;
}
