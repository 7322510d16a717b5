// Cluster quality and the Hungarian algorithm against scikit-learn and scipy (fixtures made by
// test/fixtures/eval/make_fixtures.py), and cases worked by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clusterQuality, clusterAccuracy, linearSumAssignment } from '../../src/eval/index.js';
import { rng } from '../helpers/random.js';

interface Labeling {
  name: string;
  truth: number[];
  pred: number[];
  nmi: number;
  ari: number;
  purity: number;
  accuracy: number;
  clusters: number;
  classes: number;
}
interface AssignmentCase {
  name: string;
  cost: number[][];
  maximize: boolean;
  rowInd: number[];
  colInd: number[];
  total: number;
}

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/eval/cluster_quality.json', import.meta.url));
const fixtures = JSON.parse(readFileSync(FIXTURES, 'utf8')) as { labelings: Labeling[]; assignments: AssignmentCase[] };

const close = (a: number, e: number, what: string, tol = 1e-9) => assert.ok(Math.abs(a - e) <= tol, `${what}: got ${a}, expected ${e}`);

test('fixtures hold five labelings (K = C, K > C, K < C, perfect, empty labels) and five cost matrices', () => {
  assert.equal(fixtures.labelings.length, 5);
  const shapes = fixtures.labelings.map((l) => Math.sign(l.clusters - l.classes));
  assert.ok(shapes.includes(0) && shapes.includes(1) && shapes.includes(-1));
  assert.equal(fixtures.assignments.length, 5);
});

for (const l of fixtures.labelings) {
  test(`cluster quality equals scikit-learn and scipy: ${l.name}`, () => {
    const truth = Int32Array.from(l.truth);
    for (const pred of [Int32Array.from(l.pred), BigInt64Array.from(l.pred, BigInt)]) {
      const q = clusterQuality(truth, pred);
      close(q.nmi, l.nmi, 'NMI');
      close(q.ari, l.ari, 'ARI');
      close(q.purity, l.purity, 'purity');
      close(q.accuracy, l.accuracy, 'accuracy');
      assert.equal(q.clusters, l.clusters);
      assert.equal(q.classes, l.classes);
      assert.ok(q.accuracy <= q.purity + 1e-15, 'accuracy <= purity');
    }
  });
}

for (const a of fixtures.assignments) {
  test(`assignment total equals scipy's: ${a.name}`, () => {
    const got = linearSumAssignment(a.cost, a.maximize);
    const rows = a.cost.length, cols = a.cost[0]!.length;
    close(got.total, a.total, 'total', 1e-12);
    // A valid assignment: min(R, C) pairs, rows ascending, no row or column twice.
    assert.equal(got.rowInd.length, Math.min(rows, cols));
    assert.deepEqual([...got.rowInd], [...got.rowInd].sort((x, y) => x - y));
    assert.equal(new Set(got.rowInd).size, got.rowInd.length);
    assert.equal(new Set(got.colInd).size, got.colInd.length);
    const sum = [...got.rowInd].reduce((s, r, k) => s + a.cost[r]![got.colInd[k]!]!, 0);
    close(sum, got.total, 'total of the returned cells', 1e-12);
    // Where the optimum is unique (the real-valued matrices), the very same cells as scipy.
    if (!a.name.includes('ties') && !a.name.includes('integers')) {
      assert.deepEqual([...got.rowInd], a.rowInd);
      assert.deepEqual([...got.colInd], a.colInd);
    }
    // The flat form gives the same.
    const flat = linearSumAssignment({ data: a.cost.flat(), rows, cols }, a.maximize);
    assert.equal(flat.total, got.total);
  });
}

test('a 3 x 3 assignment worked by hand', () => {
  // Cost [[4, 1, 3], [2, 0, 5], [3, 2, 2]]; the six permutations (column of rows 0, 1, 2):
  // (0,1,2) 4+0+2 = 6, (0,2,1) 4+5+2 = 11, (1,0,2) 1+2+2 = 5, (1,2,0) 1+5+3 = 9,
  // (2,0,1) 3+2+2 = 7, (2,1,0) 3+0+3 = 6: the cheapest is (1,0,2), total 5;
  // the dearest is (0,2,1), total 11.
  const cost = [[4, 1, 3], [2, 0, 5], [3, 2, 2]];
  const min = linearSumAssignment(cost);
  assert.deepEqual([...min.rowInd], [0, 1, 2]);
  assert.deepEqual([...min.colInd], [1, 0, 2]);
  assert.equal(min.total, 5);
  const max = linearSumAssignment(cost, true);
  assert.deepEqual([...max.colInd], [0, 2, 1]);
  assert.equal(max.total, 11);
  // Its transpose has the same optimum.
  assert.equal(linearSumAssignment([[4, 2, 3], [1, 0, 2], [3, 5, 2]]).total, 5);
  // A tall 3 x 2 matrix [[4, 1], [2, 0], [3.5, 2]]: each column gets its own row, one row is
  // left out. (rows of columns 0, 1): (0,1) 4+0 = 4, (0,2) 4+2 = 6, (1,0) 2+1 = 3, (1,2) 2+2 = 4,
  // (2,0) 3.5+1 = 4.5, (2,1) 3.5+0 = 3.5: rows 0 and 1 take columns 1 and 0, total 3.
  const tall = linearSumAssignment([[4, 1], [2, 0], [3.5, 2]]);
  assert.deepEqual([...tall.rowInd], [0, 1]);
  assert.deepEqual([...tall.colInd], [1, 0]);
  assert.equal(tall.total, 3);
});

/** Best total by trying every injection of the smaller side into the larger. */
function bruteForce(cost: number[][], maximize: boolean): number {
  const rows = cost.length, cols = cost[0]!.length;
  const transposed = rows > cols;
  const n = Math.min(rows, cols), m = Math.max(rows, cols);
  const at = (i: number, j: number) => (transposed ? cost[j]![i]! : cost[i]![j]!);
  let best = maximize ? -Infinity : Infinity;
  const used = new Array<boolean>(m).fill(false);
  const go = (i: number, sum: number) => {
    if (i === n) {
      best = maximize ? Math.max(best, sum) : Math.min(best, sum);
      return;
    }
    for (let j = 0; j < m; j++) {
      if (used[j]) continue;
      used[j] = true;
      go(i + 1, sum + at(i, j));
      used[j] = false;
    }
  };
  go(0, 0);
  return best;
}

test('random small matrices: the optimum of exhaustive search', () => {
  const r = rng(7);
  for (let trial = 0; trial < 60; trial++) {
    const rows = 1 + Math.floor(r() * 6), cols = 1 + Math.floor(r() * 6);
    const ints = trial % 2 === 0; // integer costs have many ties
    const cost = Array.from({ length: rows }, () => Array.from({ length: cols }, () => (ints ? Math.floor(r() * 4) : r() * 10 - 5)));
    for (const maximize of [false, true]) {
      close(linearSumAssignment(cost, maximize).total, bruteForce(cost, maximize), `${rows} x ${cols} trial ${trial} maximize ${maximize}`, 1e-9);
    }
  }
});

test('empty and degenerate matrices; bad input is named', () => {
  assert.equal(linearSumAssignment([]).rowInd.length, 0);
  assert.equal(linearSumAssignment({ data: [], rows: 3, cols: 0 }).total, 0);
  assert.deepEqual([...linearSumAssignment([[7]]).colInd], [0]);
  assert.throws(() => linearSumAssignment([[1, 2], [3]]), /row 1 has 1 entries, expected 2/);
  assert.throws(() => linearSumAssignment({ data: [1, 2, 3], rows: 2, cols: 2 }), /2 x 2 matrix needs 4 values, got 3/);
  assert.throws(() => linearSumAssignment([[1, NaN]]), /entry \(0, 1\) is NaN/);
});

test('cluster accuracy worked by hand: unmatched clusters count as wrong', () => {
  // Classes 0 0 0 1 1 1, clusters 0 0 1 1 2 2: contingency (cluster x class) [[2, 0], [1, 1], [0, 2]];
  // the best matching takes cluster 0 -> class 0 and cluster 2 -> class 1: (2 + 2) / 6.
  // Purity counts cluster 1's best class too: (2 + 1 + 2) / 6.
  const q = clusterQuality(Int32Array.from([0, 0, 0, 1, 1, 1]), Int32Array.from([0, 0, 1, 1, 2, 2]));
  close(q.accuracy, 4 / 6, 'accuracy');
  close(q.purity, 5 / 6, 'purity');
  assert.equal(q.clusters, 3);
  assert.equal(q.classes, 2);
  // Fewer clusters than classes: one cluster, two classes of 3 and 1 -> 3 / 4.
  close(clusterAccuracy([5, 5, 5, 9], [1, 1, 1, 1]), 3 / 4, 'one cluster');
  // Names do not matter.
  assert.equal(clusterAccuracy([0, 0, 1, 1, 2], [7, 7, 3, 3, -1]), 1);
  assert.equal(clusterAccuracy([], []), 1);
  assert.throws(() => clusterQuality(Int32Array.from([0, 1]), Int32Array.from([0])), /2 true labels but 1 cluster labels/);
});
