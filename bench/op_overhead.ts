// Per-op call overhead of the binding (run by hand: node dist/bench/op_overhead.js [calls]).
// Times a cheap op, add of two 1-element tensors, with its result freed by tidy(), against
// an empty native call (getNumThreads) measured in the same run.
import { N } from '../src/engine/native.js';
import { tensor, tidy, keep, getNumThreads } from '../src/engine/index.js';

const calls = Number(process.argv[2] ?? 1e5);

/** Microseconds per call of fn, best of 5 runs of `calls` calls (after a warm-up run). */
function time(fn: () => void): number {
  let best = Infinity;
  for (let r = 0; r < 6; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    const us = Number(process.hrtime.bigint() - t0) / 1e3 / calls;
    if (r > 0) best = Math.min(best, us);
  }
  return best;
}

const a = keep(tensor([1]));
const b = keep(tensor([2]));

const empty = time(() => N.getNumThreads());
const rawAdd = time(() => N.dispose(N.add(a.handle, b.handle, 1)));
const addTidy = time(() => tidy(() => a.add(b)));
// One tidy around 100 adds: the tidy cost spread out.
const inner = 100;
const addBatched =
  time(() =>
    tidy(() => {
      for (let i = 0; i < inner; i++) a.add(b);
    }),
  ) / inner;

const row = (name: string, us: number) =>
  console.log(`${name.padEnd(44)} ${us.toFixed(3).padStart(8)} us/call  ${(us / empty).toFixed(1).padStart(6)}x empty call`);
console.log(`${calls} calls, ${getNumThreads()} threads, best of 5`);
row('empty native call (N.getNumThreads)', empty);
row('N.add + N.dispose (handles only)', rawAdd);
row('tidy(() => a.add(b))', addTidy);
row('a.add(b), 100 per tidy', addBatched);
console.log(
  JSON.stringify({ calls, emptyCallUs: empty, rawAddUs: rawAdd, addTidyUs: addTidy, addBatchedUs: addBatched, ratio: addTidy / empty }),
);
a.dispose();
b.dispose();
