// Weighted kNN classification: votes worked by hand, ties, blocks, several k, a brute-force
// reference, zero rows and the errors for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, memory, dispose, type Tensor } from '../../src/engine/index.js';
import { knnClassify, knnScores, type LabeledFeatures } from '../../src/eval/index.js';
import { assertClose } from '../helpers/assert.js';
import { uniform, rng } from '../helpers/random.js';

const rad = (deg: number) => (deg * Math.PI) / 180;
/** Points at these angles (degrees) and radii, as an [n, 2] tensor. */
const circle = (deg: number[], radius: number[] = deg.map(() => 1)) =>
  tensor(Float32Array.from(deg.flatMap((a, i) => [radius[i]! * Math.cos(rad(a)), radius[i]! * Math.sin(rad(a))])), { shape: [deg.length, 2] });
const labeled = (features: Tensor, labels: number[]): LabeledFeatures => ({ features, labels: Int32Array.from(labels) });
const live = () => memory().liveTensors;

test('votes worked by hand: 2-D points, k = 3, T = 0.5', () => {
  // Bank: angle (degrees), radius (normalisation removes it), class.
  //   0 deg r 2 -> 0,  30 deg r 0.5 -> 1,  60 deg r 1 -> 0,  90 deg r 3 -> 1,  180 deg r 1 -> 2,  200 deg r 1 -> 2.
  const bank = labeled(circle([0, 30, 60, 90, 180, 200], [2, 0.5, 1, 3, 1, 1]), [0, 1, 0, 1, 2, 2]);
  // Queries at 40, 190 and 75 degrees (radius 1.5); cosine similarity = cos(angle between).
  const queries = circle([40, 190, 75], [1.5, 1.5, 1.5]);
  const T = 0.5;
  const w = (deg: number) => Math.exp(Math.cos(rad(deg)) / T);
  const expected = [
    // 40: neighbours 30 (10 deg, class 1), 60 (20 deg, class 0), 0 (40 deg, class 0); 90 is 50 deg away.
    // The nearest is class 1, but class 0's two votes weigh more: 6.55 + 4.63 > 7.17.
    [w(20) + w(40), w(10), 0],
    // 190: 180 and 200 (10 deg each, class 2), then 90 (100 deg, class 1); 60 is 130 deg away.
    [0, w(100), w(10) + w(10)],
    // 75: 60 (15 deg, class 0), 90 (15 deg, class 1), 30 (45 deg, class 1); 0 is 75 deg away.
    [w(15), w(15) + w(45), 0],
  ];
  const [scores] = knnScores(bank, queries, { numClasses: 3, k: 3, temperature: T });
  assertClose(scores!.tolist(), expected, 1e-6);
  assert.equal(scores!.dtype, 'float64');
  const [r] = knnClassify(bank, labeled(queries, [0, 2, 1]), { numClasses: 3, k: 3, temperature: T, returnPredictions: true });
  assert.deepEqual([...r!.predictions!], [0, 2, 1]);
  assert.equal(r!.k, 3);
  assert.equal(r!.top1, 1);
  assert.equal(r!.top5, null); // 3 classes: no top-5
  // With the first query labelled 1 (the class of its single nearest neighbour), 2 of 3 are right.
  const [r2] = knnClassify(bank, labeled(queries, [1, 2, 1]), { numClasses: 3, k: 3, temperature: T });
  assert.equal(r2!.top1, 2 / 3);
  assert.equal(r2!.predictions, undefined);
  // k = 1: the single nearest decides.
  const [r1] = knnClassify(bank, labeled(queries, [1, 2, 1]), { numClasses: 3, k: 1, temperature: T, returnPredictions: true });
  assert.deepEqual([...r1!.predictions!].slice(0, 2), [1, 2]);
  dispose([bank.features, queries, scores]);
});

test('ties go to the lowest class index, in predictions and in accuracy', () => {
  // The query at 45 deg is exactly as similar to (1, 0) as to (0, 1): equal weights.
  const queries = tensor([[1, 1], [1, 1]]);
  for (const labels of [[1, 0], [0, 1]]) {
    const bank = labeled(tensor([[1, 0], [0, 1]]), labels);
    const [s] = knnScores(bank, queries, { numClasses: 2, k: 2 });
    const row = s!.tolist() as number[][];
    assert.equal(row[0]![0], row[0]![1], 'the two classes tie exactly');
    // Query 0 labelled 0 (right), query 1 labelled 1 (wrong: the tie goes to class 0).
    const [r] = knnClassify(bank, labeled(queries, [0, 1]), { numClasses: 2, k: 2, returnPredictions: true });
    assert.deepEqual([...r!.predictions!], [0, 0]);
    assert.equal(r!.top1, 0.5);
    dispose([bank.features, s]);
  }
  // A tie between classes 3 and 7 of 12, with class 9 ahead: the true class 7 ranks third
  // (behind 9, and behind 3 by the tie rule), 3 ranks second; both inside the top 5.
  const bank = labeled(tensor([[1, 0], [0, 1], [1, 1]]), [3, 7, 9]);
  const [r] = knnClassify(bank, labeled(tensor([[1, 1], [1, 1], [1, 1]]), [7, 3, 9]), { numClasses: 12, k: 3, returnPredictions: true });
  assert.deepEqual([...r!.predictions!], [9, 9, 9]);
  assert.equal(r!.top1, 1 / 3);
  assert.equal(r!.top5, 1);
  dispose([bank.features, queries]);
});

test('top-5 accuracy with more than 10 classes', () => {
  // Bank at 1..7 degrees, classes 11, 10, ..., 5: scores fall with the angle from the query at 0.
  const classes = [11, 10, 9, 8, 7, 6, 5];
  const bank = labeled(circle([1, 2, 3, 4, 5, 6, 7]), classes);
  const q = circle([0, 0, 0]);
  // Labels: the nearest's class (top-1 and top-5), the 5th's (top-5 only), the 6th's (neither).
  const [r] = knnClassify(bank, labeled(q, [11, 7, 6]), { numClasses: 12, k: 7, temperature: 1, returnPredictions: true });
  assert.deepEqual([...r!.predictions!], [11, 11, 11]);
  assert.equal(r!.top1, 1 / 3);
  assert.equal(r!.top5, 2 / 3);
  // With 10 classes or fewer there is no top-5.
  const bank10 = labeled(bank.features, classes.map((c) => c - 2));
  assert.equal(knnClassify(bank10, labeled(q, [9, 5, 4]), { numClasses: 10, k: 7 })[0]!.top5, null);
  dispose([bank.features, q]);
});

/** Random features [rows, d] in [-1, 1) and labels in [0, c). */
function randomSet(rows: number, d: number, c: number, seed: number): LabeledFeatures {
  const r = rng(seed + 1);
  return {
    features: tensor(Float32Array.from(uniform(rows * d, seed)), { shape: [rows, d] }),
    labels: Int32Array.from({ length: rows }, () => Math.floor(r() * c)),
  };
}

/** Class scores of a query by the definition, in float64. */
function referenceScores(bank: LabeledFeatures, queries: Tensor, k: number, T: number, c: number): number[][] {
  const unit = (rows: number[][]) => rows.map((v) => {
    const n = Math.max(Math.hypot(...v), 1e-12);
    return v.map((x) => x / n);
  });
  const b = unit(bank.features.tolist() as number[][]), q = unit(queries.tolist() as number[][]);
  return q.map((x) => {
    const sims = b.map((y, i) => ({ i, s: y.reduce((acc, yj, j) => acc + yj * x[j]!, 0) })).sort((p, r) => r.s - p.s);
    const out = new Array<number>(c).fill(0);
    for (const { i, s } of sims.slice(0, k)) out[bank.labels[i]!]! += Math.exp(s / T);
    return out;
  });
}

test('class scores equal the definition computed in float64 (several k from one top-k)', () => {
  const bank = randomSet(40, 6, 5, 1);
  const queries = randomSet(9, 6, 5, 2);
  const scores = knnScores(bank, queries.features, { numClasses: 5, k: [1, 4, 13], temperature: 0.2 });
  [1, 4, 13].forEach((k, i) => assertClose(scores[i]!.tolist(), referenceScores(bank, queries.features, k, 0.2, 5), 1e-5, `k = ${k}`));
  dispose([bank.features, queries.features, scores]);
});

test('blocks of queries and bank rows give the results of one block', () => {
  const bank = randomSet(57, 8, 12, 3);
  const queries = randomSet(23, 8, 12, 4);
  const ks = [1, 5, 7, 20];
  const opts = { numClasses: 12, k: ks, returnPredictions: true };
  const base = live();
  const one = knnClassify(bank, queries, opts);
  // Tiny blocks: 3 queries at a time against 4 bank rows (fewer than k: the running top-k merges).
  const small = knnClassify(bank, queries, { ...opts, queryChunkRows: 3, bankChunkRows: 4 });
  const odd = knnClassify(bank, queries, { ...opts, queryChunkRows: 1, bankChunkRows: 56 });
  assert.equal(live(), base, 'no tensor left behind');
  for (const other of [small, odd]) {
    assert.deepEqual(other.map((r) => [r.k, r.top1, r.top5]), one.map((r) => [r.k, r.top1, r.top5]));
    other.forEach((r, i) => assert.deepEqual([...r.predictions!], [...one[i]!.predictions!], `k = ${r.k}`));
  }
  const a = knnScores(bank, queries.features, { numClasses: 12, k: ks });
  const b = knnScores(bank, queries.features, { numClasses: 12, k: ks, queryChunkRows: 2, bankChunkRows: 5 });
  // Blocks sum the float32 dot products in another order (by how much depends on the BLAS
  // kernel of the CPU): a few ulps of a similarity, ds ~ 2e-7, scale a vote exp(s / T) by
  // ds / T ~ 3e-6 at the default T = 0.07.
  a.forEach((s, i) => assertClose(b[i]!.tolist(), s.tolist(), 1e-5, `k = ${ks[i]}`));
  // Several k at once equal one k at a time.
  for (const k of ks) {
    const [r] = knnClassify(bank, queries, { ...opts, k });
    const i = ks.indexOf(k);
    assert.equal(r!.top1, one[i]!.top1);
    assert.equal(r!.top5, one[i]!.top5);
    assert.deepEqual([...r!.predictions!], [...one[i]!.predictions!]);
  }
  dispose([bank.features, queries.features, a, b]);
});

test('defaults: k = 20, T = 0.07', () => {
  const bank = randomSet(30, 4, 3, 5);
  const queries = randomSet(6, 4, 3, 6);
  const [r] = knnClassify(bank, queries, { numClasses: 3 });
  assert.equal(r!.k, 20);
  const [s] = knnScores(bank, queries.features, { numClasses: 3 });
  assertClose(s!.tolist(), referenceScores(bank, queries.features, 20, 0.07, 3), 1e-5);
  dispose([bank.features, queries.features, s]);
});

test('zero rows give finite scores, not NaN (normalised with an eps)', () => {
  const bank = labeled(tensor([[0, 0, 0], [1, 0, 0], [0, 2, 0]]), [0, 1, 2]);
  const queries = tensor([[0, 0, 0], [1, 1, 0]]);
  const [s] = knnScores(bank, queries, { numClasses: 3, k: 3, temperature: 0.5 });
  const rows = s!.tolist() as number[][];
  // The zero query is at similarity 0 from every row: three weights exp(0) = 1.
  assert.deepEqual(rows[0], [1, 1, 1]);
  // The other sees the zero row at similarity 0 too.
  assertClose(rows[1], [1, Math.exp(Math.SQRT1_2 / 0.5), Math.exp(Math.SQRT1_2 / 0.5)], 1e-6);
  const [r] = knnClassify(bank, labeled(queries, [0, 1]), { numClasses: 3, k: 3, temperature: 0.5, returnPredictions: true });
  assert.deepEqual([...r!.predictions!], [0, 1]);
  dispose([bank.features, queries, s]);
});

test('bad input names what was expected', () => {
  const bank = labeled(tensor([[1, 0], [0, 1], [1, 1], [2, 1], [1, 3]]), [0, 1, 0, 1, 0]);
  const q = labeled(tensor([[1, 2]]), [1]);
  const run = (o: Partial<Parameters<typeof knnClassify>[2]>, b = bank, qq = q) => () => knnClassify(b, qq, { numClasses: 2, ...o });
  assert.throws(run({ k: 6 }), /k = 6 but the bank has only 5 rows; expected k <= 5/);
  assert.throws(run({ k: [3, 6] }), /k = 6 but the bank has only 5 rows/);
  assert.throws(run({}), /k = 20 but the bank has only 5 rows/); // the default k
  assert.throws(run({ k: 0 }), /k must be an integer >= 1, got 0/);
  assert.throws(run({ k: [] }), /non-empty list/);
  assert.throws(run({ k: 2, temperature: 0 }), /temperature must be a finite number > 0, got 0/);
  assert.throws(run({ k: 2, numClasses: 1 }), /bank label 1 is 1; expected a class in \[0, 1\)/);
  assert.throws(run({ k: 2, queryChunkRows: 0 }), /queryChunkRows must be an integer >= 1/);
  assert.throws(run({ k: 2 }, bank, labeled(tensor([[1, 2, 3]]), [1])), /queries have 3 columns but the bank 2; expected the same feature dimension D/);
  assert.throws(run({ k: 2 }, bank, labeled(tensor([[1, 2]]), [1, 0])), /1 query rows but 2 query labels; expected one label per row/);
  assert.throws(run({ k: 2 }, labeled(bank.features, [0, 1, 0])), /5 bank rows but 3 bank labels/);
  assert.throws(run({ k: 2 }, bank, labeled(tensor([[1, 2]]), [-1])), /query label 0 is -1/);
  assert.throws(run({ k: 2 }, bank, labeled(tensor([1, 2]), [1])), /query features must be a 2-D \[rows, D\] tensor, got shape \[2\]/);
  assert.throws(run({ k: 2 }, bank, labeled(tensor([[1, 2]], { dtype: 'int64' }), [1])), /query features must be floating point, got int64/);
  assert.throws(run({ k: 2 }, bank, labeled(tensor(new Float32Array(0), { shape: [0, 2] }), [])), /no queries/);
  dispose([bank.features, q.features]);
});
