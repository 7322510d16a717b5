// Permutation-set generation time (run by hand: node dist/bench/permutations.js [--seed S]).
// Times N=100, N=701 with minimum Hamming distance 3, and N=1000, each from a fresh process
// state except for the one-off tables of all 9! permutations, which are built (and timed) first.
import { allPermutations, generatePermutations } from '../src/pretext/permutations.js';
import { benchArgs } from './args.js';

const args = benchArgs(import.meta.url, { options: { seed: { type: 'string', default: '0' } } });
const seed = Number(args.seed);

let t0 = performance.now();
allPermutations();
generatePermutations({ count: 1, seed }); // builds the per-cell index too
console.log(`tables (9! permutations, per-cell index): ${((performance.now() - t0) / 1000).toFixed(2)} s`);

for (const [count, minHamming] of [[100, 0], [701, 3], [1000, 0]] as const) {
  t0 = performance.now();
  const s = generatePermutations({ count, minHamming, seed });
  const sec = (performance.now() - t0) / 1000;
  const label = `N=${count}${minHamming ? ` min ${minHamming}` : ''}`.padEnd(12);
  console.log(`${label} ${sec.toFixed(2)} s  mean ${s.meanHamming.toFixed(4)}  min ${s.minHamming}`);
}
