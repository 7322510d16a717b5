// Loader throughput against training throughput (run by hand, not in CI):
//   node dist/bench/loader.js [--batch 128] [--batches 469] [--cache DIR] [--steps 20]
// Data: the Fashion-MNIST training set as a 32x32 cache (prepared into --cache, by default a
// folder under the OS temp dir, on first use). Augmentation: random crop with padding 4,
// horizontal flip, normalise. Each loader configuration runs `--batches` batches with the
// consumer doing nothing but dispose; training throughput is benchStep (convnet_s, same batch)
// measured by `selfsup bench step --json` (convnet_s, same batch) in a child process of the same
// run; last, convnet_s trains in this process on one fixed batch and on the loader's batches
// (with and without the worker), to show what the loader adds to a real step. (benchStep runs in a fresh process, bench/selfsup_worker.ts, as bench/step.ts runs it.)
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dispose, tidy, getNumThreads, F, manualSeed, type Tensor } from '../src/engine/index.js';
import { getArch } from '../src/models/index.js';
import { SGD } from '../src/optim/index.js';
import { openCache, prepareCache } from '../src/data/cache/index.js';
import { Loader, type ImageSource } from '../src/data/loader/index.js';
import { Compose, RandomCrop, RandomHorizontalFlip, Normalize } from '../src/data/augment/index.js';
import { benchArgs } from './args.js';

const args = benchArgs(import.meta.url, {
  options: {
    batch: { type: 'string', default: '128' },
    batches: { type: 'string', default: '469' },
    steps: { type: 'string', default: '20' },
    cache: { type: 'string', default: join(tmpdir(), 'selfsup-bench-fashion-mnist-train-32') },
  },
});
const batchSize = Number(args.batch);
const nBatches = Number(args.batches);
const steps = Number(args.steps);

await prepareCache('fashion-mnist', { out: args.cache!, split: 'train', size: 32, quiet: true });
const disk = openCache(args.cache!);
const memory = openCache(args.cache!, { memory: true });
const mean = disk.manifest.mean[0]!;
const std = disk.manifest.std[0]!;
const transform = () => new Compose([new RandomCrop(32, { padding: 4 }), new RandomHorizontalFlip(), new Normalize([mean], [std])]);

/** Images per second over nBatches batches (after 5 untimed ones), the consumer only disposing. */
async function loaderRate(source: ImageSource, prefetch: boolean, seed: number): Promise<number> {
  const loader = new Loader(source, { batchSize, seed, transform: transform(), prefetch, dropLast: true });
  let n = 0, images = 0, t0 = 0;
  for await (const b of loader.batches({}, Math.ceil((nBatches + 5) / loader.batchesPerEpoch))) {
    if (n === 5) t0 = performance.now();
    if (n >= 5) images += b.indices.length;
    dispose(b);
    if (++n === nBatches + 5) break;
  }
  await loader.close();
  return (images * 1000) / (performance.now() - t0);
}

/**
 * Main-thread milliseconds per batch spent waiting for the loader (reading, if not prefetched,
 * plus conversion and augmentation) when each batch is followed by a `stepMs` step that blocks
 * the main thread, as a training step does.
 */
async function stallMs(source: ImageSource, prefetch: boolean, stepMs: number, batches: number): Promise<number> {
  const loader = new Loader(source, { batchSize, seed: 7, transform: transform(), prefetch, dropLast: true });
  const gen = loader.batches({}, Math.ceil((batches + 3) / loader.batchesPerEpoch));
  const block = new Int32Array(new SharedArrayBuffer(4));
  let waited = 0;
  for (let n = 0; n < batches + 3; n++) {
    const t0 = performance.now();
    const r = await gen.next();
    if (n >= 3) waited += performance.now() - t0;
    if (r.done) throw new Error('loader ended early');
    dispose(r.value);
    Atomics.wait(block, 0, 0, stepMs); // the stand-in training step
  }
  await gen.return(undefined);
  await loader.close();
  return waited / batches;
}

/**
 * Milliseconds per training step of convnet_s fed by the loader (prefetch true/false), or on
 * one fixed batch drawn once ('fixed'), all in this process.
 */
async function fedStepMs(source: ImageSource, feed: boolean | 'fixed'): Promise<number> {
  manualSeed(0);
  const model = getArch('convnet_s').build(10, 1);
  model.train();
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const loader = new Loader(source, { batchSize, seed: 1, transform: transform(), dropLast: true, prefetch: feed === true });
  const fixed = feed === 'fixed' ? loader.batch(0, 0) : null;
  const step = (x: Tensor, y: Tensor) =>
    tidy(() => {
      const loss = F.crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  let n = 0, t0 = 0;
  const warmup = 3;
  if (fixed) {
    for (; n < steps + warmup; n++) {
      if (n === warmup) t0 = performance.now();
      step(fixed.images, fixed.labels!);
    }
    dispose(fixed);
  } else {
    for await (const b of loader.batches({}, 2)) {
      if (n === warmup) t0 = performance.now();
      step(b.images, b.labels!);
      dispose(b);
      if (++n === steps + warmup) break;
    }
  }
  await loader.close();
  dispose(model.parameters());
  return (performance.now() - t0) / steps;
}

console.log(`Fashion-MNIST train cache ${args.cache}: ${disk.count} images [${disk.shape.join(', ')}], batch ${batchSize}, ${getNumThreads()} libtorch threads`);
const rows: [string, number][] = [];
for (const [name, source, prefetch] of [
  ['cache on disk, worker prefetch', disk, true],
  ['cache on disk, main thread', disk, false],
  ['cache in memory, worker prefetch', memory, true],
  ['cache in memory, main thread', memory, false],
] as const) {
  const rate = await loaderRate(source, prefetch, rows.length);
  rows.push([name, rate]);
  console.log(`loader (${name}): ${rate.toFixed(0)} images/s`);
}
const worker = fileURLToPath(new URL('./selfsup_worker.js', import.meta.url));
const stepArgs = ['step', JSON.stringify({ arch: 'convnet_s', batch: batchSize, steps, warmup: 3, threads: getNumThreads() })];
for (const [name, source, prefetch] of [
  ['cache on disk, worker prefetch', disk, true],
  ['cache on disk, main thread', disk, false],
] as const) {
  const ms = await stallMs(source, prefetch, 20, 50);
  console.log(`main thread waits per batch between 20 ms steps (${name}): ${ms.toFixed(2)} ms`);
}
const train = JSON.parse(execFileSync(process.execPath, [worker, ...stepArgs], { encoding: 'utf8' })) as { msPerStep: number; imagesPerSec: number };
console.log(`training convnet_s (selfsup bench step, random input): ${train.msPerStep.toFixed(1)} ms/step, ${train.imagesPerSec.toFixed(0)} images/s`);
for (const [name, rate] of rows) console.log(`ratio loader / training (${name}): ${(rate / train.imagesPerSec).toFixed(1)}x`);
const fed: [string, number][] = [];
for (const feed of ['fixed', true, false, 'fixed'] as const) {
  const name = feed === 'fixed' ? 'one fixed batch' : `loader batches, cache on disk, ${feed ? 'worker prefetch' : 'main thread'}`;
  fed.push([name, await fedStepMs(disk, feed)]);
}
for (const [name, ms] of fed) console.log(`training convnet_s in this process on ${name}: ${ms.toFixed(1)} ms/step, ${((batchSize * 1000) / ms).toFixed(0)} images/s`);
disk.close();
