// `selfsup bench step` and `selfsup bench pretext`: timed training steps (src/bench).
import { Command } from 'commander';
import { setNumThreads } from '../engine/index.js';
import { benchPretext, benchStep, pretextBenchSchema, stepBenchSchema } from '../bench/index.js';
import { stageCommand } from './schema_options.js';

export function benchCommand(): Command {
  const bench = new Command('bench').description('performance measurements');
  bench.addCommand(
    stageCommand('step', 'time training steps of a model on random input', stepBenchSchema, (o) => {
      if (o.threads) setNumThreads(o.threads);
      const r = benchStep(o);
      if (o.json) console.log(JSON.stringify(r));
      else {
        console.log(`${r.arch} batch ${r.batch} on ${r.threads} threads${r.channelsLast ? ' (channels-last)' : ''}: ` +
          `${r.msPerStep.toFixed(2)} ms/step, ${r.imagesPerSec.toFixed(0)} images/s`);
      }
    }),
  );
  bench.addCommand(
    stageCommand('pretext', 'time jigsaw / jigsaw++ / rotation / cluster-classification training steps (puzzles, rotations or augmentation included) on random 32 px images', pretextBenchSchema, (o) => {
      if (o.threads) setNumThreads(o.threads);
      const r = benchPretext(o);
      if (o.json) console.log(JSON.stringify(r));
      else console.log(`${r.task} ${r.arch} batch ${r.batch} on ${r.threads} threads: ${r.msPerStep.toFixed(1)} ms/step, ${r.imagesPerSec.toFixed(0)} images/s${r.task.startsWith('jigsaw') ? `, ${r.tilesPerSec.toFixed(0)} tiles/s` : ''}`);
    }),
  );
  return bench;
}
