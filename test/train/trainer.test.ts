// The shared trainer: exact resume, stop on a non-finite loss, SIGINT, metrics, flat memory.
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, memory } from '../../src/engine/index.js';
import * as nn from '../../src/nn/index.js';
import { Loader, memorySource, RandomHorizontalFlip } from '../../src/data/index.js';
import { loadCheckpoint } from '../../src/io/index.js';
import { Trainer, NonFiniteLossError, classify, type TrainTask, type TrainerOptions } from '../../src/train/index.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('trainer');
setFlagsFromString('--expose-gc');
/** Collects tensors that earlier tests dropped without dispose(), so live counts are exact. */
const collect = runInNewContext('gc') as () => void;
async function gc(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    collect();
    await new Promise((r) => setImmediate(r)); // native finalisers run after the collection
  }
}
const N = 192, C = 1, H = 8, W = 8, CLASSES = 4;

/** Images whose class decides which band of rows is bright, plus noise (a horizontal flip keeps the class). */
function dataset(seed: number) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const bytes = new Uint8Array(N * C * H * W);
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const y = i % CLASSES;
    labels[i] = y;
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) {
      const band = Math.floor((r * CLASSES) / H);
      bytes[i * H * W + r * W + c] = Math.min(255, Math.floor(rand() * 100 + (band === y ? 140 : 0)));
    }
  }
  return memorySource(bytes, [C, H, W], labels);
}

/** A net with dropout, so libtorch's RNG state matters for resume. */
function net(seed: number): nn.Module {
  manualSeed(seed);
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(C * H * W, 32), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(32, CLASSES));
}

/** A task that also draws from its Rng (scales each batch's contrast), so the task stream matters. */
const noisyClassify: TrainTask = {
  forward(model, batch, rng) {
    return { logits: model.forward(batch.images.mul(0.5 + rng.next())), targets: batch.labels! };
  },
};

function options(model: nn.Module, over: Partial<TrainerOptions> = {}): TrainerOptions {
  const loader = new Loader(dataset(7), { batchSize: 32, seed: 11, transform: new RandomHorizontalFlip(), prefetch: false });
  return {
    model, loader, task: noisyClassify, epochs: 3, quiet: true, handleSignals: false,
    optim: { optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
    schedule: { schedule: 'cosine', warmupSteps: 3 }, checkpointEvery: 4, logEvery: 2,
    ...over,
  };
}

function weights(m: nn.Module): Map<string, Float32Array> {
  return new Map([...m.stateDict()].filter(([, t]) => t.dtype === 'float32').map(([k, t]) => [k, t.data() as Float32Array]));
}

function metricLines(dir: string): Record<string, number | string>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const { time: _t, imagesPerSecond: _i, seconds: _s, ...rest } = JSON.parse(l);
    return rest;
  });
}

test('N steps straight equal N/2 steps, a stop, and a resume for N/2', async () => {
  const straightDir = tmp('straight');
  const a = net(1);
  const ra = await new Trainer(options(a, { outDir: straightDir })).fit();
  assert.equal(ra.status, 'completed');
  assert.equal(ra.step, 18);

  const resumedDir = tmp('resumed');
  const b1 = net(1);
  const r1 = await new Trainer(options(b1, { outDir: resumedDir, stopAfterSteps: 9 })).fit();
  assert.equal(r1.status, 'stopped');
  assert.equal(r1.step, 9);
  b1.dispose();
  // A fresh process would build the model anew with other weights: resume must overwrite them all.
  const b2 = net(99);
  const r2 = await new Trainer(options(b2, { outDir: resumedDir, resume: true })).fit();
  assert.equal(r2.status, 'completed');
  assert.equal(r2.resumedFrom, 9);
  assert.equal(r2.step, 18);

  const wa = weights(a), wb = weights(b2);
  assert.deepEqual([...wa.keys()], [...wb.keys()]);
  for (const [k, x] of wa) assert.deepEqual(wb.get(k)!, x, `${k}: the resumed weights are bit-identical`);
  // Training changed the weights (the comparison above is not vacuous).
  const init = weights(net(1));
  assert.ok([...wa].some(([k, x]) => x.some((v, i) => Math.abs(v - init.get(k)![i]!) > 1e-3)));
  // The metrics of the resumed run read as those of the straight run.
  const ma = metricLines(straightDir), mb = metricLines(resumedDir);
  assert.equal(mb.length, ma.length);
  for (let i = 0; i < ma.length; i++) {
    assert.equal(mb[i]!.type, ma[i]!.type);
    assert.equal(mb[i]!.step, ma[i]!.step);
    assert.deepEqual(mb[i], ma[i], `metrics line ${i}`);
  }
  assert.deepEqual(ma.filter((m) => m.type === 'epoch').map((m) => m.epoch), [1, 2, 3]);
  // It learned: the last epoch's training accuracy is far above chance (25%).
  assert.ok((ra.epochs[2]!.accuracy) > 0.8, `accuracy ${ra.epochs[2]!.accuracy}`);
  for (const m of [a, b2]) m.dispose();
});

test('a resume before the first checkpoint starts again, without the metric lines logged so far', async () => {
  const straightDir = tmp('straight');
  const a = net(1);
  await new Trainer(options(a, { outDir: straightDir, epochs: 1 })).fit();
  const dir = tmp('early');
  // What a run killed after step 2 (one metrics line and part of a second) leaves.
  writeFileSync(join(dir, 'metrics.jsonl'), '{"type":"step","step":2,"epoch":0,"batch":2,"loss":1.5}\n{"type":"st');
  const b = net(1);
  const r = await new Trainer(options(b, { outDir: dir, epochs: 1, resume: true })).fit();
  assert.equal(r.resumedFrom, 0);
  assert.deepEqual(metricLines(dir), metricLines(straightDir));
  const wa = weights(a), wb = weights(b);
  for (const [k, x] of wa) assert.deepEqual(wb.get(k)!, x, k);
  for (const m of [a, b]) m.dispose();
});

test('a non-finite loss stops the run with a clear error and keeps the last good checkpoint', async () => {
  const dir = tmp('nan');
  const poison: TrainTask = {
    forward(model, batch, rng) {
      const out = noisyClassify.forward(model, batch, rng);
      return batch.epoch === 0 && batch.batch === 5 ? { ...out, logits: out.logits.mul(NaN) } : out;
    },
  };
  const m = net(2);
  const t = new Trainer(options(m, { outDir: dir, task: poison }));
  await assert.rejects(() => t.fit(), (e: Error) => {
    assert.ok(e instanceof NonFiniteLossError);
    assert.match(e.message, /loss is NaN at step 6 \(epoch 1, batch 6\)/);
    assert.match(e.message, /last good checkpoint is .*checkpoint\.safetensors \(step 4\)/);
    return true;
  });
  const ck = loadCheckpoint(join(dir, 'checkpoint.safetensors'));
  assert.equal((ck.meta as { trainer: { step: number } }).trainer.step, 4);
  for (const x of ck.model.values()) assert.ok(x.isfinite().all().item(), 'checkpoint weights must be finite');
  for (const x of [...ck.model.values(), ...ck.optimizer!.tensors.values()]) x.dispose();
  m.dispose();
});

test('SIGINT saves a checkpoint after the current step and returns; resume finishes the run', async () => {
  const dir = tmp('sigint');
  const interrupting: TrainTask = {
    forward(model, batch, rng) {
      if (batch.epoch === 0 && batch.batch === 2) process.kill(process.pid, 'SIGINT');
      return noisyClassify.forward(model, batch, rng);
    },
  };
  const m = net(3);
  const r = await new Trainer(options(m, { outDir: dir, task: interrupting, handleSignals: true, checkpointEvery: 0 })).fit();
  assert.equal(r.status, 'interrupted');
  assert.equal(r.step, 3);
  assert.ok(existsSync(join(dir, 'checkpoint.safetensors')));
  const r2 = await new Trainer(options(m, { outDir: dir, resume: true, checkpointEvery: 0 })).fit();
  assert.equal(r2.resumedFrom, 3);
  assert.equal(r2.status, 'completed');
  m.dispose();
});

test('resume refuses a checkpoint made with other data options', async () => {
  const dir = tmp('mismatch');
  const m = net(4);
  await new Trainer(options(m, { outDir: dir, stopAfterSteps: 2 })).fit();
  const loader = new Loader(dataset(7), { batchSize: 16, seed: 11, prefetch: false });
  await assert.rejects(() => new Trainer(options(m, { outDir: dir, resume: true, loader })).fit(), /batch size 32.*this run has 16/);
  m.dispose();
});

test('training keeps live tensors flat: after dispose(), a run leaves no tensor behind', async () => {
  const m = net(5);
  const loader = new Loader(dataset(8), { batchSize: 16, seed: 1, prefetch: false });
  await gc();
  const live = memory().liveTensors;
  const t = new Trainer({ model: m, loader, task: classify, epochs: 4, quiet: true, handleSignals: false, optim: { optimizer: 'adam', lr: 1e-3 } });
  await t.fit();
  await gc();
  assert.equal(memory().liveTensors, live + 2 * 4, 'only the Adam state (2 tensors per parameter) stays while the trainer lives');
  t.dispose();
  await gc();
  assert.equal(memory().liveTensors, live, 'live tensors after the run and dispose()');
  m.dispose();
});
