import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory } from '../../src/engine/index.js';
import { perClassSubset, fractionSubset, lowShotProbe, meanStd } from '../../src/eval/lowshot.js';
import { blobSplit, randomLabels, matrix } from './probe_data.js';

const labels = randomLabels(3000, 5, 1);
const counts = (idx: Int32Array, y: Int32Array, classes: number) => {
  const c = new Array<number>(classes).fill(0);
  for (const i of idx) c[y[i]!]!++;
  return c;
};
const isSorted = (a: Int32Array) => a.every((v, i) => i === 0 || a[i - 1]! < v);

test('perClassSubset: exactly N per class, sorted, the same for the same seed and draw, another for another draw', () => {
  for (const n of [1, 10, 100]) {
    const s = perClassSubset(labels, n, 7, 0);
    assert.equal(s.length, 5 * n);
    assert.deepEqual(counts(s, labels, 5), [n, n, n, n, n]);
    assert.ok(isSorted(s), 'sorted, without repeats');
    assert.deepEqual(perClassSubset(labels, n, 7, 0), s);
    assert.notDeepEqual(perClassSubset(labels, n, 7, 1), s);
    assert.notDeepEqual(perClassSubset(labels, n, 8, 0), s);
  }
});

test('the draws depend only on the labels, seed and draw; the subsets of one draw are nested', () => {
  const copy = Int32Array.from(labels);
  assert.deepEqual(perClassSubset(copy, 10, 3, 2), perClassSubset(labels, 10, 3, 2));
  const one = perClassSubset(labels, 1, 3, 2), ten = perClassSubset(labels, 10, 3, 2), hundred = perClassSubset(labels, 100, 3, 2);
  const has = (a: Int32Array, b: Int32Array) => [...a].every((i) => b.includes(i));
  assert.ok(has(one, ten) && has(ten, hundred), 'N=1 within N=10 within N=100');
});

test('fractionSubset: stratified, round(f * n_c) per class and at least one, sorted, reproducible', () => {
  const per = counts(Int32Array.from(labels.keys()), labels, 5);
  for (const f of [0.01, 0.1, 0.5, 1]) {
    const s = fractionSubset(labels, f, 2, 0);
    assert.deepEqual(counts(s, labels, 5), per.map((n) => Math.max(1, Math.round(f * n))));
    assert.ok(isSorted(s));
    assert.deepEqual(fractionSubset(labels, f, 2, 0), s);
    if (f < 1) assert.notDeepEqual(fractionSubset(labels, f, 2, 1), s);
  }
  const small = Int32Array.of(0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
  assert.deepEqual(counts(fractionSubset(small, 0.1, 0, 0), small, 2), [1, 2]);
  assert.equal(fractionSubset(labels, 1, 0, 0).length, labels.length);
});

test('subsets: clear errors for too few images and bad arguments', () => {
  const y = Int32Array.of(0, 0, 1, 1, 1, 2);
  assert.throws(() => perClassSubset(y, 2, 0, 0), /class 2 has 1 images, fewer than the 2 per class asked for/);
  assert.throws(() => perClassSubset(Int32Array.of(0, 0, 2, 2), 1, 0, 0), /class 1 has 0 images/);
  assert.throws(() => perClassSubset(y, 0, 0, 0), /nPerClass must be a positive integer, got 0/);
  assert.throws(() => perClassSubset(Int32Array.of(0, -1), 1, 0, 0), /labels\[1\] is -1/);
  assert.throws(() => fractionSubset(y, 0, 0, 0), /fraction must be in \(0, 1\], got 0/);
  assert.throws(() => fractionSubset(y, 1.5, 0, 0), /fraction must be in \(0, 1\]/);
  assert.throws(() => fractionSubset(y, 0.5, 0, -1), /draw must be a non-negative integer, got -1/);
});

test('meanStd: the sample standard deviation', () => {
  assert.deepEqual(meanStd([1, 2, 3, 4]), { mean: 2.5, std: Math.sqrt(5 / 3) });
  const one = meanStd([0.5]);
  assert.equal(one.mean, 0.5);
  assert.ok(Number.isNaN(one.std));
});

test('lowShotProbe on separable blobs: high accuracy at N = 10; means and stds per setting and head', async () => {
  const C = 5;
  const tr = blobSplit(1500, 12, C, 1), te = blobSplit(500, 12, C, 2);
  const tr2 = blobSplit(1500, 6, C, 3, 2), te2 = blobSplit(500, 6, C, 4, 2);
  const before = memory().liveTensors;
  const seen: string[] = [];
  const input = {
    heads: [{ name: 'far', train: matrix(tr), test: matrix(te) }, { name: 'near', train: matrix(tr2), test: matrix(te2) }],
    trainLabels: tr.labels, testLabels: te.labels, numClasses: C,
  };
  assert.deepEqual(tr.labels, tr2.labels);
  const opts = { perClass: [1, 10], fractions: [0.02], draws: 3, steps: 60, onProgress: (p: { setting: string; draw: number; done: number; total: number }) => seen.push(`${p.done}/${p.total} ${p.setting} ${p.draw}`) };
  const r = await lowShotProbe(input, opts);
  assert.equal(memory().liveTensors, before);
  assert.deepEqual(r.map((s) => [s.setting, s.kind, s.value, s.trainSize]), [['N=1', 'perClass', 1, 5], ['N=10', 'perClass', 10, 50], ['2%', 'fraction', 0.02, 30]]);
  assert.deepEqual(seen, ['1/9 N=1 0', '2/9 N=1 1', '3/9 N=1 2', '4/9 N=10 0', '5/9 N=10 1', '6/9 N=10 2', '7/9 2% 0', '8/9 2% 1', '9/9 2% 2']);
  for (const s of r) {
    assert.equal(s.epochs, 60, 'one batch per epoch: as many epochs as steps');
    assert.deepEqual(s.heads.map((h) => h.name), ['far', 'near']);
    for (const h of s.heads) {
      assert.equal(h.top1.length, 3);
      assert.deepEqual({ mean: h.mean, std: h.std }, meanStd(h.top1));
      assert.ok(h.std >= 0);
    }
  }
  const far10 = r[1]!.heads[0]!;
  assert.ok(far10.mean > 0.97, `N=10, far blobs: mean top-1 ${far10.mean}`);
  assert.ok(r[1]!.heads[1]!.mean < far10.mean, 'closer blobs are harder');
  // The same seed gives the same numbers; the draws are those of perClassSubset.
  assert.deepEqual(await lowShotProbe(input, { ...opts, onProgress: undefined }), r);
});

test('lowShotProbe: a setting a class is too small for fails before any training', async () => {
  const tr = blobSplit(40, 4, 4, 1), te = blobSplit(20, 4, 4, 2);
  let trained = 0;
  await assert.rejects(
    lowShotProbe({ heads: [{ name: 'h', train: matrix(tr), test: matrix(te) }], trainLabels: tr.labels, testLabels: te.labels, numClasses: 4 }, { perClass: [1, 100], fractions: [], onProgress: () => trained++ }),
    /perClassSubset: class 0 has 10 images, fewer than the 100 per class asked for/,
  );
  assert.equal(trained, 0);
});
