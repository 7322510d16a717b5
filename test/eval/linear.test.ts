import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, memory, manualSeed, rand, tidy } from '../../src/engine/index.js';
import { trainLinearProbes, batchBounds, probeLr, type LinearProbeInput, type LinearProbeOptions, type ProbeHead } from '../../src/eval/linear.js';
import { argmaxSplit, blobSplit, randomLabels, matrix } from './probe_data.js';

const C = 4, D = 16;
const train = argmaxSplit(2000, D, C, 1);
const test_ = argmaxSplit(1000, D, C, 2);
const input = (heads: ProbeHead[] = [{ name: 'a', train: matrix(train), test: matrix(test_) }]): LinearProbeInput => ({
  heads, trainLabels: train.labels, testLabels: test_.labels, numClasses: C,
});
const opts: LinearProbeOptions = { epochs: 8, batchSize: 128, seed: 3 };

test('linearly separable features (argmax of a linear map, with a margin): near 100% test accuracy', async () => {
  const [r] = await trainLinearProbes(input(), opts);
  assert.ok(r!.top1 > 0.98, `top-1 ${r!.top1}`);
  assert.ok(r!.trainAccuracy > 0.97, `train accuracy ${r!.trainAccuracy}`);
  assert.ok(r!.trainLoss < 0.2, `train loss ${r!.trainLoss}`);
  assert.equal(r!.top5, undefined);
  assert.deepEqual([r!.name, r!.trainSize, r!.epochs, r!.steps], ['a', 2000, 8, 8 * 16]);
});

test('the same features with labels independent of them: test accuracy near chance', async () => {
  const trainLabels = randomLabels(2000, C, 5), testLabels = randomLabels(1000, C, 6);
  const [r] = await trainLinearProbes({ ...input(), trainLabels, testLabels }, opts);
  assert.ok(Math.abs(r!.top1 - 1 / C) < 0.05, `top-1 ${r!.top1}, chance ${1 / C}`);
  assert.ok(r!.trainLoss > 1.2, `train loss ${r!.trainLoss} (chance: ln 4 = 1.39)`);
});

test('heads trained together give bit-identical results to each trained alone', async () => {
  // Each head starts from zero weights, takes the same mini-batches and touches only its own
  // tensors, so nothing of one head reaches another: equality is exact, not approximate.
  const other = blobSplit(2000, 24, C, 7), otherTest = blobSplit(1000, 24, C, 8);
  const b = { name: 'b', train: tensor(other.data, { shape: [2000, 24] }).keep(), test: tensor(otherTest.data, { shape: [1000, 24] }).keep() };
  try {
    const a = { name: 'a', train: matrix(train), test: matrix(test_) };
    const both = await trainLinearProbes(input([a, b]), opts);
    const [alone] = await trainLinearProbes(input([a]), opts);
    const [bAlone] = await trainLinearProbes(input([b]), opts);
    assert.deepEqual(both, [alone, bAlone]);
    assert.notEqual(both[0]!.trainLoss, both[1]!.trainLoss);
  } finally {
    b.train.dispose();
    b.test.dispose();
  }
});

test('same seed: bit-identical results; another seed: another order; a tensor and its values: the same', async () => {
  const r1 = await trainLinearProbes(input(), opts);
  const r2 = await trainLinearProbes(input(), opts);
  assert.deepEqual(r1, r2);
  const r3 = await trainLinearProbes(input(), { ...opts, seed: 4 });
  assert.notEqual(r3[0]!.trainLoss, r1[0]!.trainLoss);
  const t = { train: tensor(train.data, { shape: [2000, D] }).keep(), test: tensor(test_.data, { shape: [1000, D] }).keep() };
  try {
    assert.deepEqual(await trainLinearProbes(input([{ name: 'a', ...t }]), opts), r1);
  } finally {
    t.train.dispose();
    t.test.dispose();
  }
});

test("libtorch's random stream is left as it was", async () => {
  manualSeed(21);
  const expected = tidy(() => rand([4]).tolist());
  manualSeed(21);
  await trainLinearProbes(input(), { ...opts, epochs: 1 });
  assert.deepEqual(tidy(() => rand([4]).tolist()), expected);
});

test('top-5 is reported only with more than 10 classes', async () => {
  const make = (classes: number) => {
    const tr = blobSplit(600, 8, classes, 11, 2), te = blobSplit(300, 8, classes, 12, 2);
    return trainLinearProbes({ heads: [{ name: 'h', train: matrix(tr), test: matrix(te) }], trainLabels: tr.labels, testLabels: te.labels, numClasses: classes }, { epochs: 3 });
  };
  const [ten] = await make(10);
  assert.ok(!('top5' in ten!));
  const [twelve] = await make(12);
  assert.equal(typeof twelve!.top5, 'number');
  assert.ok(twelve!.top5! >= twelve!.top1 && twelve!.top5! <= 1, `top-5 ${twelve!.top5}, top-1 ${twelve!.top1}`);
  assert.ok(twelve!.top5! > 0.9, `top-5 ${twelve!.top5}`);
});

test('live tensors stay flat over epochs, and nothing is left after training', async () => {
  const before = memory().liveTensors;
  const live: number[] = [];
  await trainLinearProbes(input([{ name: 'a', train: matrix(train), test: matrix(test_) }, { name: 'b', train: matrix(train), test: matrix(test_) }]), {
    ...opts, epochs: 6, onProgress: (p) => p.head === 'b' && live.push(memory().liveTensors),
  });
  assert.equal(live.length, 6);
  assert.ok(live.every((n) => n === live[0]), `live tensors per epoch: ${live.join(', ')}`);
  assert.equal(memory().liveTensors, before);
});

test('progress: once per epoch and head, with the epoch mean loss and accuracy', async () => {
  const seen: string[] = [];
  const [r] = await trainLinearProbes(input(), { ...opts, epochs: 3, onProgress: (p) => seen.push(`${p.epoch}/${p.epochs} ${p.head} ${p.loss} ${p.accuracy}`) });
  assert.equal(seen.length, 3);
  assert.equal(seen[2], `3/3 a ${r!.trainLoss} ${r!.trainAccuracy}`);
});

test('bad input: clear errors naming the head and what was expected', async () => {
  const a = { name: 'a', train: matrix(train), test: matrix(test_) };
  const bad = Int32Array.from(train.labels);
  bad[7] = C;
  await assert.rejects(trainLinearProbes({ ...input(), trainLabels: bad }), /trainLabels\[7\] is 4, expected a class index in \[0, 3\]/);
  const narrow = argmaxSplit(1000, D - 1, C, 2);
  await assert.rejects(trainLinearProbes(input([a, { name: 'conv3', train: matrix(train), test: matrix(narrow) }])), /head 'conv3': test features are \[1000, 15\], expected D = 16/);
  await assert.rejects(trainLinearProbes({ ...input([a]), trainLabels: train.labels.subarray(1) }), /head 'a': train features have 2000 rows, expected 1999 \(one per train label\)/);
  await assert.rejects(trainLinearProbes({ ...input([a]), testLabels: test_.labels.subarray(1) }), /head 'a': test features have 1000 rows, expected 999/);
  await assert.rejects(trainLinearProbes(input([a, { ...a }])), /two heads are named 'a'/);
  await assert.rejects(trainLinearProbes(input([{ name: 'v', train: { data: train.data, shape: [2000, 15] }, test: matrix(test_) }])), /head 'v': train features: shape \[2000, 15\] needs 30000 values, data holds 32000/);
  const nan = Float32Array.from(train.data);
  nan[5 * D + 3] = NaN;
  await assert.rejects(trainLinearProbes(input([{ name: 'n', train: { data: nan, shape: [2000, D] }, test: matrix(test_) }])), /head 'n': train features: row 5 holds NaN or infinite values/);
  await assert.rejects(trainLinearProbes(input(), { epochs: 0 }), /epochs must be an integer >= 1, got 0/);
  await assert.rejects(trainLinearProbes(input(), { trainSubset: Int32Array.of(0, 2000) }), /trainSubset\[1\] is 2000, expected a row in \[0, 1999\]/);
  const int = { name: 'i', train: tensor(train.labels), test: matrix(test_) };
  try {
    await assert.rejects(trainLinearProbes(input([int])), /head 'i': train features: expected an N x D matrix, got shape \[2000\]/);
  } finally {
    int.train.dispose();
  }
});

test('trainSubset: only those rows train', async () => {
  const rows = Int32Array.from({ length: 500 }, (_, i) => i * 4);
  const [r] = await trainLinearProbes(input(), { ...opts, trainSubset: rows });
  assert.equal(r!.trainSize, 500);
  assert.equal(r!.steps, 8 * 4);
  assert.ok(r!.top1 > 0.85, `top-1 ${r!.top1}`);
});

test('batches cover every row once, a last batch of one row joining the one before; warm-up then cosine', () => {
  assert.deepEqual(batchBounds(10, 4), [0, 4, 8, 10]);
  assert.deepEqual(batchBounds(9, 4), [0, 4, 9]);
  assert.deepEqual(batchBounds(3, 4), [0, 3]);
  assert.deepEqual(batchBounds(8, 4), [0, 4, 8]);
  assert.deepEqual([0, 1, 2, 3].map((s) => probeLr(1, s, 10, 4)), [0.25, 0.5, 0.75, 1]);
  assert.equal(probeLr(1, 4, 10, 4), 1);
  assert.ok(Math.abs(probeLr(1, 7, 10, 4) - 0.5) < 1e-12);
  assert.equal(probeLr(2, 0, 10, 0), 2);
});
