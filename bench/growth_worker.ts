// One measurement of bench/growth.ts in a fresh process (so each peak memory is its own); prints
// one JSON line with the seconds and the process's peak resident memory (VmHWM).
//   node dist/bench/growth_worker.js kmeans '{"n": 200000, "k": 1000, "d": 256, "iters": 3}'
//   node dist/bench/growth_worker.js extract '{"batch": 256, "images": 4096}'
import { readFileSync } from 'node:fs';
import { memory, rand, randn, setNumThreads, tidy, trimNativeHeap } from '../src/engine/index.js';
import { kmeans } from '../src/cluster/index.js';
import { parseSource } from '../src/features/index.js';

const [what, json] = process.argv.slice(2);
const o = JSON.parse(json ?? '{}') as Record<string, number>;
setNumThreads(o.threads ?? 2);
const peakMiB = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

if (what === 'kmeans') {
  const x = randn([o.n!, o.d!]).keep();
  const t0 = performance.now();
  // Random rows as the start and tol 0: exactly `iters` Lloyd iterations, then the labels' pass.
  kmeans(x, { k: o.k!, maxIter: o.iters!, tol: 0, init: 'random', seed: 0 });
  console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, peakMiB: peakMiB() }));
} else if (what === 'extract') {
  // random alexnet_s to conv5 globally pooled, on one batch of 1x32x32 images used again; the
  // heap trimmed every 8 batches as selfsup's extraction does (features/extract.ts).
  const source = parseSource('random:alexnet_s@conv5', { inChannels: 1, mean: [0.3], std: [0.25], pool: 'global' });
  const x = rand([o.batch!, 1, 32, 32]).keep();
  const reps = Math.max(2, Math.round(o.images! / o.batch!));
  tidy(() => source.extract(x).data());
  const t0 = performance.now();
  const live = memory().liveTensors;
  for (let i = 0; i < reps; i++) {
    tidy(() => source.extract(x).data());
    if ((i + 1) % 8 === 0) trimNativeHeap();
  }
  if (memory().liveTensors !== live) throw new Error(`growth_worker: ${memory().liveTensors - live} tensors left behind`);
  console.log(JSON.stringify({ imagesPerSec: (reps * o.batch! * 1000) / (performance.now() - t0), peakMiB: peakMiB() }));
} else {
  console.error(`growth_worker: expected 'kmeans' or 'extract', got ${JSON.stringify(what)}`);
  process.exit(2);
}
