import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizedMutualInfo, adjustedRandIndex, purity, clusterScores, contingencyTable } from '../../src/cluster/index.js';

const close = (a: number, e: number, what: string) => assert.ok(Math.abs(a - e) < 1e-12, `${what}: got ${a}, expected ${e}`);

test('NMI, ARI and purity on a labeling worked by hand', () => {
  const truth = [0, 0, 0, 1, 1, 1];
  const pred = [0, 0, 1, 1, 2, 2];
  // Contingency: class 0 -> clusters {0: 2, 1: 1}; class 1 -> {1: 1, 2: 2}; a = [3, 3], b = [2, 2, 2], n = 6.
  // MI = 2 x (2/6) ln(6*2 / (3*2)) + 2 x (1/6) ln(6*1 / (3*2)) = (2/3) ln 2; H(truth) = ln 2, H(pred) = ln 3.
  // NMI = (2/3) ln 2 / ((ln 2 + ln 3) / 2) = (4/3) ln 2 / ln 6 = 0.51580...
  close(normalizedMutualInfo(truth, pred), ((4 / 3) * Math.log(2)) / Math.log(6), 'NMI');
  // Pairs within cells: C(2,2) + C(1,2) + C(1,2) + C(2,2) = 2; classes: 2 C(3,2) = 6; clusters: 3 C(2,2) = 3;
  // all pairs C(6,2) = 15; expected = 6 * 3 / 15 = 1.2; max = (6 + 3) / 2 = 4.5; ARI = 0.8 / 3.3 = 8/33.
  close(adjustedRandIndex(truth, pred), 8 / 33, 'ARI');
  // Largest cell per cluster: 2, 1, 2 -> 5/6.
  close(purity(truth, pred), 5 / 6, 'purity');
  // scikit-learn 1.2.1 gives 0.5158037429793888 and 0.24242424242424243 for these two labelings.
  close(normalizedMutualInfo(truth, pred), 0.5158037429793888, 'NMI vs scikit-learn');
});

test('identical partitions score 1 whatever the label names; independent ones score 0 (ARI -1/2 here)', () => {
  const s = clusterScores([0, 0, 1, 1, 2, 2], new BigInt64Array([5n, 5n, 3n, 3n, 9n, 9n]));
  assert.deepEqual(s, { nmi: 1, ari: 1, purity: 1 });
  // Every cell holds 1 of n = 4: MI = 4 x (1/4) ln(4 / (2*2)) = 0. ARI: index 0, classes 2, clusters 2,
  // all pairs 6, expected 4/6, max 2 -> (0 - 2/3) / (2 - 2/3) = -1/2. Purity 2/4.
  const t = [0, 0, 1, 1], p = [0, 1, 0, 1];
  assert.equal(normalizedMutualInfo(t, p), 0);
  close(adjustedRandIndex(t, p), -0.5, 'ARI');
  close(purity(t, p), 0.5, 'purity');
});

test('degenerate labelings follow scikit-learn', () => {
  // One part each: a perfect match (NMI 1, ARI 1).
  assert.equal(normalizedMutualInfo([0, 0, 0], [1, 1, 1]), 1);
  assert.equal(adjustedRandIndex([0, 0, 0], [1, 1, 1]), 1);
  // Everything in one cluster: MI 0 -> NMI 0; index = 2, classes 2, clusters C(4,2) = 6, expected 2 -> ARI 0.
  assert.equal(normalizedMutualInfo([0, 0, 1, 1], [0, 0, 0, 0]), 0);
  assert.equal(adjustedRandIndex([0, 0, 1, 1], [0, 0, 0, 0]), 0);
  assert.equal(purity([0, 0, 1, 1], [0, 0, 0, 0]), 0.5);
  // All singletons on both sides: no pairs at all -> 1.
  assert.equal(adjustedRandIndex([0, 1, 2], [0, 1, 2]), 1);
  assert.throws(() => purity([0, 1], [0]), /2 true labels but 1 cluster labels/);
});

test('contingency table counts', () => {
  const c = contingencyTable([1, 1, 7, 7, 7], [0, 2, 2, 2, 2]);
  assert.equal(c.n, 5);
  assert.deepEqual(c.classSizes, [2, 3]);
  assert.deepEqual(c.clusterSizes, [1, 4]);
  assert.deepEqual(
    c.cells.map(({ i, j, count }) => [i, j, count]).sort(),
    [[0, 0, 1], [0, 1, 1], [1, 1, 3]],
  );
});
