// `selfsup pretext permutations`: choose a jigsaw permutation set; `selfsup pretext train`:
// train a source network on a pretext task.
import { Command } from 'commander';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { generatePermutations, permutationSetJson } from '../pretext/permutations.js';
import { permutationsSchema } from '../pretext/permutations_schema.js';
import { pretextSchema } from '../pretext/schema.js';
import { trainPretext } from '../pretext/train.js';
import { stageCommand } from './schema_options.js';
import { reportRun } from './train_report.js';

export function pretextCommand(): Command {
  const pretext = new Command('pretext').description('pretext tasks: train a source network, choose jigsaw permutation sets');

  pretext.addCommand(
    stageCommand('permutations', 'choose N of the 9! tile orders greedily by maximal mean Hamming distance (Noroozi & Favaro 2016)', permutationsSchema, (o) => {
      const t0 = performance.now();
      const set = generatePermutations({ count: o.count, minHamming: o.minHamming, seed: o.seed });
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
    }),
  );

  pretext.addCommand(
    stageCommand('train', 'train a source network on a pretext task (jigsaw, jigsaw++, rotation) into a run folder', pretextSchema, async (o) => {
      const r = await trainPretext(o);
      reportRun(r, `${o.task}: pretext`, 'chance', o.quiet);
    }),
  );

  return pretext;
}
