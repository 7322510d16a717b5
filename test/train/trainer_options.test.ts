// Trainer options beyond the basic loop: parameter groups, device, a task's own loss, the
// logger and the afterBackward hook, each against values worked out independently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { F, cuda, manualSeed, noGrad } from '../../src/engine/index.js';
import * as nn from '../../src/nn/index.js';
import { Loader, memorySource } from '../../src/data/index.js';
import {
  Trainer, classify, stderrLogger, epochLine, resolveDevice,
  type TrainTask, type LossOutput, type TrainerOptions, type TrainLogger, type EpochMetrics, type BackwardContext,
} from '../../src/train/index.js';
import { assertClose } from '../helpers/assert.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('trainer-options');
const N = 192, H = 8, W = 8, CLASSES = 4;

/** Images whose class decides which band of rows is bright, plus noise. */
function dataset(seed: number) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const bytes = new Uint8Array(N * H * W);
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const y = i % CLASSES;
    labels[i] = y;
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) {
      bytes[i * H * W + r * W + c] = Math.min(255, Math.floor(rand() * 100 + (Math.floor((r * CLASSES) / H) === y ? 140 : 0)));
    }
  }
  return memorySource(bytes, [1, H, W], labels);
}

/** A trunk and a head, kept apart so that tests can put them in parameter groups. */
function net(seed: number) {
  manualSeed(seed);
  const trunk = new nn.Linear(H * W, 16), head = new nn.Linear(16, CLASSES);
  return { trunk, head, model: new nn.Sequential(new nn.Flatten(), trunk, new nn.ReLU(), head) };
}

const loader = (seed = 11) => new Loader(dataset(7), { batchSize: 32, seed, prefetch: false });
const PER_EPOCH = N / 32;

function options(model: nn.Module, over: Partial<TrainerOptions> = {}): TrainerOptions {
  return {
    model, loader: loader(), task: classify, epochs: 1, quiet: true, handleSignals: false,
    optim: { optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0 }, ...over,
  };
}

const values = (m: nn.Module): number[][] => m.parameters().map((p) => [...(p.data() as Float32Array)]);
const same = (a: number[][], b: number[][]) => a.length === b.length && a.every((x, i) => x.every((v, j) => v === b[i]![j]));

function metricLines(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

/** An afterBackward hook that zeroes every gradient (no gradient step happens). */
function zeroGrads({ model }: BackwardContext): void {
  for (const p of model.parameters()) {
    const g = p.grad;
    if (g !== null) noGrad(() => g.zero_());
  }
}

// ---- parameter groups ----

test('parameter groups: a group at lr 0 keeps its weights, the rest trains at the optim rate', async () => {
  const { trunk, head, model } = net(1);
  const trunk0 = values(trunk), head0 = values(head);
  const t = new Trainer(options(model, { paramGroups: [{ params: trunk, lr: 0 }], optim: { optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-3 } }));
  const g = t.optimizer.paramGroups;
  assert.equal(g.length, 2);
  assert.deepEqual([g[0]!.params, g[1]!.params], [trunk.parameters(), head.parameters()], 'the given group first, then the parameters in none');
  assert.deepEqual([g[0]!.lr, g[1]!.lr], [0, 0.1]);
  assert.deepEqual([(g[0] as { weightDecay?: number }).weightDecay, (g[1] as { weightDecay?: number }).weightDecay], [1e-3, 1e-3], 'weight decay defaults to the optim config');
  await t.fit();
  assert.ok(same(values(trunk), trunk0), 'the lr-0 group is unchanged');
  assert.ok(!same(values(head), head0), 'the other group trained');
  t.dispose();

  // Tensors as a group, lrScale, an own weight decay.
  const t2 = new Trainer(options(model, { paramGroups: [{ params: head.parameters(), lrScale: 0.25, weightDecay: 0.5 }] }));
  const [a, b] = t2.optimizer.paramGroups as unknown as { lr: number; weightDecay: number; params: unknown[] }[];
  assert.deepEqual([a!.lr, a!.weightDecay, b!.lr, b!.weightDecay], [0.025, 0.5, 0.1, 0]);
  assert.deepEqual(b!.params, trunk.parameters());
  t2.dispose();
  model.dispose();
});

test('parameter groups: each group decays its weights with its own lr and weight decay', async () => {
  // With zero gradients SGD (no momentum) gives p_k = p_0 * (1 - lr * weightDecay)^k.
  const { trunk, head, model } = net(2);
  const trunk0 = values(trunk), head0 = values(head);
  const t = new Trainer(options(model, {
    optim: { optimizer: 'sgd', lr: 0.1, momentum: 0, weightDecay: 0 }, afterBackward: zeroGrads,
    paramGroups: [{ params: trunk, lr: 0.5, weightDecay: 0.1 }],
  }));
  await t.fit();
  const f = (1 - 0.5 * 0.1) ** PER_EPOCH;
  assertClose(values(trunk), trunk0.map((x) => x.map((v) => v * f)), 1e-5);
  assert.ok(same(values(head), head0), 'the default group has no weight decay');
  t.dispose();
  model.dispose();
});

test('parameter groups: clear errors for bad groups', () => {
  const { trunk, head, model } = net(3);
  const other = new nn.Linear(2, 2);
  const make = (paramGroups: TrainerOptions['paramGroups']) => () => new Trainer(options(model, { paramGroups }));
  assert.throws(make([{ params: trunk, lr: 0.1, lrScale: 2 }]), /paramGroups\[0\]: give lr or lrScale, not both/);
  assert.throws(make([{ params: other }]), /paramGroups\[0\]\.params\[0\] is not a parameter of the model/);
  assert.throws(make([{ params: trunk }, { params: [head.parameters()[0]!, trunk.parameters()[1]!] }]), /paramGroups\[1\]\.params\[1\] is already in an earlier group/);
  assert.throws(make([{ params: trunk, weightDecay: -1 }]), /paramGroups\[0\]\.weightDecay must be a non-negative number, got -1/);
  assert.throws(make([{ params: trunk, lr: NaN }]), /paramGroups\[0\]\.lr must be a non-negative number/);
  assert.throws(make([{ params: 3 as never }]), /paramGroups\[0\]\.params must be an array of the model's parameters or a submodule/);
  for (const m of [model, other]) m.dispose();
});

test('the schedule scales each group from its own base rate', async () => {
  // Warm-up over 2 steps from 0.1 x, then cosine over the remaining 10 of 12 steps.
  const factor = (k: number) => (k < 2 ? 0.1 + (0.9 * k) / 2 : (1 + Math.cos((Math.PI * (k - 2)) / 10)) / 2);
  const bases = [0.2, 0.05];
  const { trunk, model } = net(4);
  const seen: number[][] = [];
  const dir = tmp('schedule');
  const t = new Trainer(options(model, {
    epochs: 2, outDir: dir, logEvery: 1, optim: { optimizer: 'sgd', lr: 0.05 }, schedule: { schedule: 'cosine', warmupSteps: 2 },
    paramGroups: [{ params: trunk, lr: 0.2 }],
    afterBackward: ({ optimizer }) => void seen.push(optimizer.paramGroups.map((g) => g.lr)),
  }));
  await t.fit();
  // Step s (1-based) runs with the rates after s - 1 schedule steps.
  assert.equal(seen.length, 2 * PER_EPOCH);
  seen.forEach((lrs, k) => assertClose(lrs, bases.map((b) => b * factor(k)), 1e-12, `step ${k + 1}`));
  // Metrics lines give the rates after their step: lr (the first group's) and lrs (every group's).
  const steps = metricLines(dir).filter((l) => l.type === 'step');
  assert.equal(steps.length, 2 * PER_EPOCH);
  for (const l of steps) {
    const k = l.step as number;
    assertClose(l.lrs, bases.map((b) => b * factor(k)), 1e-12, `metrics line of step ${k}`);
    assert.equal(l.lr, (l.lrs as number[])[0]);
  }
  t.dispose();
  model.dispose();
});

test('a resumed run with two parameter groups takes the same steps as one that never stopped', async () => {
  const o = (model: nn.Module, trunk: nn.Module, over: Partial<TrainerOptions>) => options(model, {
    epochs: 2, checkpointEvery: 4, optim: { optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-3 },
    schedule: { schedule: 'cosine', warmupSteps: 3 }, paramGroups: [{ params: trunk, lrScale: 0.3, weightDecay: 0 }], ...over,
  });
  const a = net(5);
  const init = values(a.model);
  const ta = new Trainer(o(a.model, a.trunk, { outDir: tmp('straight') }));
  await ta.fit();

  const dir = tmp('resumed');
  const b1 = net(5);
  assert.equal((await new Trainer(o(b1.model, b1.trunk, { outDir: dir, stopAfterSteps: 5 })).fit()).status, 'stopped');
  b1.model.dispose();
  const b = net(77); // other initial weights: the checkpoint must overwrite them all
  const tb = new Trainer(o(b.model, b.trunk, { outDir: dir, resume: true }));
  const r = await tb.fit();
  assert.equal(r.resumedFrom, 5);
  assert.equal(r.step, 2 * PER_EPOCH);
  const wa = values(a.model), wb = values(b.model);
  wa.forEach((x, i) => x.forEach((v, j) => assert.ok(Math.abs(v - wb[i]![j]!) <= 1e-6, `parameter ${i}[${j}]: ${v} vs ${wb[i]![j]}`)));
  assert.ok(!same(wa, init), 'training changed the weights');
  const hyper = (t: Trainer) => t.optimizer.paramGroups.map(({ params: _p, ...h }) => h);
  assert.deepEqual(hyper(tb), hyper(ta));
  assert.equal(hyper(ta)[0]!.initialLr, 0.1 * 0.3);

  // The checkpoint's groups must match the run's.
  const c = net(6);
  const ungrouped = o(c.model, c.trunk, { outDir: dir, resume: true });
  delete ungrouped.paramGroups;
  await assert.rejects(() => new Trainer(ungrouped).fit(), /the state has 2 parameter groups, this optimiser has 1/);
  for (const t of [ta, tb]) t.dispose();
  for (const m of [a, b, c]) m.model.dispose();
});

// ---- device ----

test("device 'cpu' trains as without the option; the task gets its batches on the device", async () => {
  const a = net(8), b = net(8);
  const devices = new Set<string>();
  const seeing: TrainTask = {
    forward(model, batch) {
      devices.add(batch.images.device).add(batch.labels!.device);
      return classify.forward(model, batch, null as never);
    },
  };
  const ta = new Trainer(options(a.model));
  const tb = new Trainer(options(b.model, { device: 'cpu', task: seeing }));
  assert.equal(tb.device, 'cpu');
  await ta.fit();
  await tb.fit();
  assert.ok(same(values(a.model), values(b.model)));
  assert.deepEqual([...devices], ['cpu']);
  for (const t of [ta, tb]) t.dispose();
  for (const m of [a, b]) m.model.dispose();
});

test('device: a bad name or a missing CUDA device is a clear error', () => {
  const { model } = net(9);
  const make = (device: string) => () => new Trainer(options(model, { device: device as TrainerOptions['device'] }));
  for (const bad of ['gpu', 'CPU', 'cuda:', 'cuda:-1', 'cuda0', '']) {
    assert.throws(make(bad), new RegExp(`^Error: device must be 'auto', 'cpu', 'cuda' or 'cuda:<index>' \\(e\\.g\\. 'cuda:1'\\), got "${bad}"`));
  }
  // auto: the first CUDA device when one is visible, else the CPU.
  assert.equal(resolveDevice('auto'), cuda.isAvailable() ? 'cuda:0' : 'cpu');
  assert.throws(make('cuda:99'), /device 'cuda:99' is not available: /);
  if (!cuda.isAvailable()) {
    for (const d of ['cuda', 'cuda:0']) assert.throws(make(d), new RegExp(`device '${d}' is not available: (no CUDA device is visible|this libtorch build has no CUDA support)`));
  }
  assert.equal(model.parameters()[0]!.device, 'cpu', 'the model stays where it was');
  model.dispose();
});

// ---- a task's own loss ----

test("a task's own loss trains instead of cross-entropy; accuracy needs logits and targets", async () => {
  const ce: TrainTask<LossOutput> = {
    forward(model, batch) {
      return { loss: F.crossEntropy(model.forward(batch.images), batch.labels!) };
    },
  };
  const ceWithLogits: TrainTask = {
    forward(model, batch) {
      const logits = model.forward(batch.images);
      return { logits, targets: batch.labels!, loss: F.crossEntropy(logits, batch.labels!) };
    },
  };
  const run = async (task: TrainTask<LossOutput> | TrainTask, outDir: string) => {
    const { model } = net(10);
    const t = new Trainer(options(model, { task, outDir, epochs: 2, logEvery: 3, validation: { loader: loader(3) } }));
    const r = await t.fit();
    const w = values(model);
    t.dispose();
    model.dispose();
    return { r, w, lines: metricLines(outDir) };
  };
  const base = await run(classify, tmp('classify'));
  const own = await run(ce, tmp('loss-only'));
  const both = await run(ceWithLogits, tmp('loss-and-logits'));
  // The same loss computed by the task: the same steps.
  assert.ok(same(own.w, base.w));
  assert.ok(same(both.w, base.w));
  for (const [i, m] of base.r.epochs.entries()) {
    assert.equal(own.r.epochs[i]!.loss, m.loss);
    assert.equal(own.r.epochs[i]!.valLoss, m.valLoss);
    assert.ok(Number.isNaN(own.r.epochs[i]!.accuracy) && Number.isNaN(own.r.epochs[i]!.valAccuracy!), 'no logits: no accuracy');
    assert.equal(both.r.epochs[i]!.accuracy, m.accuracy);
    assert.equal(both.r.epochs[i]!.valAccuracy, m.valAccuracy);
    assert.ok(m.accuracy > 0.25);
  }
  // metrics.jsonl keeps its keys; accuracies without logits are null.
  assert.deepEqual(own.lines.map((l) => Object.keys(l)), base.lines.map((l) => Object.keys(l)));
  for (const l of own.lines) {
    assert.equal(l.accuracy, null);
    if (l.type === 'epoch') assert.equal(l.valAccuracy, null);
  }
  assert.ok(base.lines.every((l) => typeof l.accuracy === 'number'));

  const { model } = net(11);
  const perSample: TrainTask<LossOutput> = { forward: (m, b) => ({ loss: F.crossEntropy(m.forward(b.images), b.labels!, { reduction: 'none' }) }) };
  await assert.rejects(() => new Trainer(options(model, { task: perSample })).fit(), /the task's loss must be a scalar tensor, got shape \[32\]/);
  model.dispose();
});

// ---- logger ----

function recorder() {
  const got = { info: [] as string[], epochs: [] as [EpochMetrics, number][], bars: [] as { label: string; total: number; ticks: number; stopped: boolean }[] };
  const logger: TrainLogger = {
    info: (m) => void got.info.push(m),
    epoch: (m, n) => void got.epochs.push([{ ...m }, n]),
    progress(label, total) {
      const bar = { label, total, ticks: 0, stopped: false };
      got.bars.push(bar);
      return { tick: (n = 1) => void (bar.ticks += n), stop: () => void (bar.stopped = true) };
    },
  };
  return { got, logger };
}

test('a logger gets the epoch lines, progress bars and the signal notice', async () => {
  const { got, logger } = recorder();
  const { model } = net(12);
  // quiet silences the default logger only; a given one gets everything.
  const t = new Trainer(options(model, { epochs: 2, logger, quiet: true, label: 'probe' }));
  const r = await t.fit();
  assert.deepEqual(got.epochs, r.epochs.map((m) => [m, 2]));
  assert.deepEqual(got.epochs.map(([m]) => m.epoch), [1, 2]);
  assert.deepEqual(got.bars, [1, 2].map((e) => ({ label: `probe epoch ${e}/2`, total: PER_EPOCH, ticks: PER_EPOCH, stopped: true })));
  assert.deepEqual(got.info, []);
  t.dispose();

  const interrupting: TrainTask = {
    forward(m, batch, rng) {
      if (batch.batch === 1) process.kill(process.pid, 'SIGINT');
      return classify.forward(m, batch, rng);
    },
  };
  const s = recorder();
  const t2 = new Trainer(options(model, { logger: s.logger, task: interrupting, handleSignals: true }));
  assert.equal((await t2.fit()).status, 'interrupted');
  assert.deepEqual(s.got.info, ['SIGINT: saving a checkpoint after this step...']);
  t2.dispose();
  model.dispose();
});

test('the default logger writes the epoch line to stderr; quiet writes nothing', async () => {
  const m: EpochMetrics = { epoch: 2, loss: 0.5, accuracy: 0.75, valLoss: 0.25, valAccuracy: 0.5, seconds: 1.5 };
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => (written.push(String(s)), true)) as typeof write;
  try {
    stderrLogger.epoch(m, 3);
    stderrLogger.info('note');
    const { model } = net(13);
    const t = new Trainer(options(model, { quiet: true, epochs: 2 }));
    await t.fit();
    t.dispose();
    model.dispose();
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(written, ['epoch 2/3: loss 0.5000, accuracy 75.00%, val loss 0.2500, val accuracy 50.00%, 1.5 s\n', '\nnote\n']);
  assert.equal(epochLine({ epoch: 1, loss: 2, accuracy: NaN, valLoss: 1, valAccuracy: NaN, seconds: 3 }, 4), 'epoch 1/4: loss 2.0000, val loss 1.0000, 3.0 s');
  assert.equal(epochLine({ epoch: 1, loss: 2, accuracy: 0.125, seconds: 3 }, 1), 'epoch 1/1: loss 2.0000, accuracy 12.50%, 3.0 s');
});

// ---- afterBackward ----

test('afterBackward: zeroing every gradient leaves the weights unchanged by SGD without weight decay', async () => {
  const { model } = net(14);
  const w0 = values(model);
  const t = new Trainer(options(model, { optim: { optimizer: 'sgd', lr: 0.5, momentum: 0.9, weightDecay: 0 }, afterBackward: zeroGrads }));
  await t.fit();
  assert.ok(same(values(model), w0));
  t.dispose();
  model.dispose();
});

test('afterBackward runs once per step, with gradients in place, numbering steps across a resume', async () => {
  const { model } = net(15);
  const steps: number[] = [];
  let withGrads = 0;
  let t: Trainer | null = null;
  const hook = (ctx: BackwardContext) => {
    steps.push(ctx.step);
    assert.equal(ctx.model, model);
    assert.equal(ctx.optimizer, t!.optimizer);
    if (ctx.model.parameters().every((p) => p.grad !== null)) withGrads++;
  };
  const dir = tmp('hook');
  t = new Trainer(options(model, { epochs: 2, outDir: dir, stopAfterSteps: 4, afterBackward: hook }));
  assert.equal((await t.fit()).step, 4);
  t.dispose();
  t = new Trainer(options(model, { epochs: 2, outDir: dir, resume: true, afterBackward: hook }));
  assert.equal((await t.fit()).step, 2 * PER_EPOCH);
  t.dispose();
  assert.deepEqual(steps, Array.from({ length: 2 * PER_EPOCH }, (_, i) => i + 1));
  assert.equal(withGrads, steps.length);
  model.dispose();
});
