// Runs one selfsup timing (src/bench) in this fresh process and prints its result as one JSON
// line, for the benchmarks that alternate fresh processes of selfsup and the reference programs.
//   node dist/bench/selfsup_worker.js step|pretext '{"arch": "convnet_s", "batch": 128, ...}'
import { setNumThreads } from '../src/engine/index.js';
import { benchPretext, benchStep, pretextBenchSchema, stepBenchSchema } from '../src/bench/index.js';
import { parseOptions } from '../src/util/options.js';

const [what, json] = process.argv.slice(2);
const given = JSON.parse(json ?? '{}') as Record<string, unknown>;
if (what === 'step') {
  const o = parseOptions(stepBenchSchema, given);
  if (o.threads) setNumThreads(o.threads);
  console.log(JSON.stringify(benchStep(o)));
} else if (what === 'pretext') {
  const o = parseOptions(pretextBenchSchema, given);
  if (o.threads) setNumThreads(o.threads);
  console.log(JSON.stringify(benchPretext(o)));
} else {
  console.error(`selfsup_worker: expected 'step' or 'pretext', got ${JSON.stringify(what)}`);
  process.exit(2);
}
