import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, memory, tidy, type Tensor } from '../../src/engine/index.js';
import { kmeans, adjustedRandIndex, type KMeansResult } from '../../src/cluster/index.js';
import { gaussianBlobs, trueInertia, inertiaOf, type Blobs } from './blobs.js';

const asTensor = (b: Blobs) => tensor(b.data, { shape: [b.n, b.dim] });
const labelsOf = (r: KMeansResult) => r.labels.data() as BigInt64Array;
const free = (r: KMeansResult) => {
  r.centroids.dispose();
  r.labels.dispose();
};

function assertNonIncreasing(history: number[], what: string): void {
  for (let i = 1; i < history.length; i++) {
    assert.ok(history[i]! <= history[i - 1]!, `${what}: inertia rose from ${history[i - 1]} to ${history[i]} at step ${i}`);
  }
}

test('1-D example worked by hand: {0, 1} and {10, 11}', () => {
  const x = tensor([[0], [1], [10], [11]]);
  const r = kmeans(x, { k: 2, seed: 3 });
  const c = [...(r.centroids.data() as Float32Array)].sort((a, b) => a - b);
  assert.deepEqual(c, [0.5, 10.5]);
  assert.equal(r.inertia, 4 * 0.25); // every point is 0.5 from its centroid
  const l = labelsOf(r);
  assert.equal(l[0], l[1]);
  assert.equal(l[2], l[3]);
  assert.notEqual(l[0], l[2]);
  assert.deepEqual(r.clusterSizes, [2, 2]);
  assert.equal(r.converged, true);
  free(r);
  x.dispose();
});

test('k-means++ recovers well-separated Gaussian blobs; inertia never rises', () => {
  const b = gaussianBlobs(8, 150, 10, { seed: 7 });
  const x = asTensor(b);
  const r = kmeans(x, { k: 8, seed: 0 });
  const ari = adjustedRandIndex(b.truth, labelsOf(r));
  assert.ok(ari > 0.99, `ARI ${ari}`);
  assertNonIncreasing(r.inertiaHistory, 'k-means++');
  // The true partition with its own means is a fixed point; k-means should find it (or better).
  const truth = trueInertia(b);
  assert.ok(r.inertia <= truth * (1 + 1e-5), `inertia ${r.inertia} vs ${truth} for the true blobs`);
  // The reported inertia is the centroids' and labels' own (recomputed here in float64).
  const again = inertiaOf(b.data, b.dim, r.centroids.data() as Float32Array, labelsOf(r));
  assert.ok(Math.abs(r.inertia - again) <= 1e-5 * again, `${r.inertia} vs ${again}`);
  assert.deepEqual(r.clusterSizes, new Array(8).fill(150));
  free(r);
  x.dispose();
});

test('restarts keep the run with the lowest inertia; inertia never rises in any run', () => {
  const b = gaussianBlobs(10, 40, 4, { seed: 11, spread: 8 });
  const x = asTensor(b);
  const r = kmeans(x, { k: 10, init: 'random', nInit: 6, seed: 5, tol: 0 });
  const inertias = r.runs.map((u) => u.inertia);
  assert.equal(r.runs.length, 6);
  assert.equal(r.inertia, Math.min(...inertias));
  assert.equal(r.bestRun, inertias.indexOf(r.inertia));
  assert.ok(new Set(inertias.map((v) => v.toPrecision(6))).size > 1, `random restarts all ended at the same inertia ${inertias}`);
  for (const [i, u] of r.runs.entries()) assertNonIncreasing(u.inertiaHistory, `run ${i}`);
  assert.deepEqual(r.inertiaHistory, r.runs[r.bestRun]!.inertiaHistory);
  const again = inertiaOf(b.data, b.dim, r.centroids.data() as Float32Array, labelsOf(r));
  assert.ok(Math.abs(r.inertia - again) <= 1e-5 * again);
  free(r);
  x.dispose();
});

test('an empty cluster is re-seeded with the point farthest from its centroid', () => {
  // Two tight groups and one outlier; the third initial centroid (1000) attracts no point.
  const pts = [0, 0.5, 1, 1.5, 2, 10, 10.5, 11, 11.5, 12, 30];
  const x = tensor(Float32Array.from(pts), { shape: [pts.length, 1] });
  const init = tensor([[1], [11], [1000]]);
  const r = kmeans(x, { k: 3, init, tol: 0 });
  assert.ok(r.reseeded >= 1, `reseeded ${r.reseeded}`);
  // The outlier (400 from centroid 11 after the first assignment) takes the empty cluster.
  assert.deepEqual([...(r.centroids.data() as Float32Array)], [1, 11, 30]);
  assert.deepEqual(r.clusterSizes, [5, 5, 1]);
  assert.equal(r.inertia, 2 * (1 + 0.25 + 0 + 0.25 + 1));
  assertNonIncreasing(r.inertiaHistory, 're-seeding');
  free(r);
  dispose2(x, init);
});

test('several empty clusters at once never empty another cluster', () => {
  // All initial centroids but one sit far away: six clusters must be re-seeded in one step.
  const b = gaussianBlobs(7, 20, 3, { seed: 2 });
  const x = asTensor(b);
  const init = tensor(Float32Array.from({ length: 21 }, (_, i) => (i < 3 ? 0 : 1e4 + i)), { shape: [7, 3] });
  const r = kmeans(x, { k: 7, init, tol: 0 });
  assert.ok(r.reseeded >= 6, `reseeded ${r.reseeded}`);
  assert.ok(r.clusterSizes.every((s) => s > 0), `sizes ${r.clusterSizes}`);
  assertNonIncreasing(r.inertiaHistory, 'many empty');
  free(r);
  dispose2(x, init);
});

test('the same seed gives the same result; chunking does not change the labels', () => {
  const b = gaussianBlobs(5, 80, 6, { seed: 3, spread: 6 });
  const x = asTensor(b);
  const a = kmeans(x, { k: 5, nInit: 2, seed: 9 });
  const a2 = kmeans(x, { k: 5, nInit: 2, seed: 9 });
  assert.deepEqual(Buffer.from(a.centroids.rawData()), Buffer.from(a2.centroids.rawData()));
  assert.deepEqual(labelsOf(a), labelsOf(a2));
  assert.deepEqual(a.inertiaHistory, a2.inertiaHistory);
  const chunked = kmeans(x, { k: 5, nInit: 2, seed: 9, chunkRows: 37 });
  assert.deepEqual(labelsOf(chunked), labelsOf(a));
  [a, a2, chunked].forEach(free);
  x.dispose();
});

test('mini-batch k-means recovers the blobs', () => {
  const b = gaussianBlobs(6, 300, 8, { seed: 21 });
  const x = asTensor(b);
  const r = kmeans(x, { k: 6, miniBatch: 128, seed: 1, maxIter: 20 });
  const ari = adjustedRandIndex(b.truth, labelsOf(r));
  assert.ok(ari > 0.99, `ARI ${ari}`);
  assert.ok(r.inertia <= trueInertia(b) * 1.01, `inertia ${r.inertia} vs ${trueInertia(b)}`);
  // History: the smoothed batch inertia at each epoch's end, then the final full pass.
  assert.equal(r.inertiaHistory.length, r.iterations + 1);
  assert.ok(Math.abs(r.inertiaHistory.at(-1)! - r.inertia) <= 1e-4 * r.inertia);
  free(r);
  x.dispose();
});

test('no tensors are left behind, whatever the path', () => {
  const b = gaussianBlobs(4, 50, 5, { seed: 4 });
  const x = asTensor(b);
  const init = tensor(Float32Array.from({ length: 20 }, (_, i) => (i < 5 ? 0 : 1e3 + i)), { shape: [4, 5] });
  const runAll = () => {
    free(kmeans(x, { k: 4, nInit: 3, seed: 1 }));
    free(kmeans(x, { k: 4, init: 'random', seed: 2 }));
    free(kmeans(x, { k: 4, init, tol: 0 }));
    free(kmeans(x, { k: 4, miniBatch: 32, maxIter: 3, seed: 3 }));
    free(kmeans(x, { k: 4, initSampleSize: 60, seed: 4 }));
  };
  runAll();
  const live0 = memory().liveTensors;
  runAll();
  tidy(() => free(kmeans(x, { k: 4, seed: 5 })));
  assert.equal(memory().liveTensors, live0);
  dispose2(x, init);
});

test('clear errors for bad arguments', () => {
  const x = tensor([[0, 1], [2, 3], [4, 5]]);
  assert.throws(() => kmeans(x, { k: 4 }), /k = 4 is more than the 3 rows/);
  assert.throws(() => kmeans(x, { k: 0 }), /k must be a positive integer, got 0/);
  assert.throws(() => kmeans(tensor([1, 2, 3]), { k: 1 }), /N x D matrix, got shape \[3\]/);
  assert.throws(() => kmeans(x.double(), { k: 1 }), /must be float32, got float64/);
  assert.throws(() => kmeans(x, { k: 2, init: tensor([[0, 0, 0]]) }), /initial centroids must be \[2, 2\], got \[1, 3\]/);
  assert.throws(() => kmeans(x, { k: 2, init: 'kmeans' as 'random' }), /init must be 'k-means\+\+' or 'random'/);
  assert.throws(() => kmeans(x, { k: 2, nInit: 0 }), /nInit must be a positive integer/);
  x.dispose();
});

function dispose2(...ts: Tensor[]): void {
  for (const t of ts) t.dispose();
}
