// k-means' assignment step as libtorch tensor ops (kernel 'ops', the path CUDA data takes) against
// the fused native kernel, both on the CPU: the same labels and counts, sums, distances, inertia
// and centroids equal up to float rounding, from the same initialisation, re-seeding included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, empty, tidy, memory, type Tensor } from '../../src/engine/index.js';
import { CentroidTable, kmeans, type KMeansKernel, type KMeansOptions } from '../../src/cluster/index.js';
import { gaussianBlobs } from './blobs.js';

/** One assignment step with accumulation through each kernel; plain arrays. */
function step(x: Tensor, centroids: Tensor, kernel: KMeansKernel) {
  const [n, dim] = x.shape as [number, number];
  const k = centroids.shape[0]!;
  const table = new CentroidTable(centroids, kernel);
  try {
    return tidy(() => {
      const labels = empty([n], { dtype: 'int64' });
      const sqDist = empty([n]);
      const sums = zeros([k, dim], { dtype: 'float64' });
      const counts = zeros([k], { dtype: 'int64' });
      const inertia = table.nearestInto(x, undefined, labels, sqDist, { sums, counts });
      return {
        inertia,
        labels: Array.from(labels.data() as BigInt64Array, Number),
        sqDist: Float32Array.from(sqDist.data() as Float32Array),
        sums: Float64Array.from(sums.data() as Float64Array),
        counts: Array.from(counts.data() as BigInt64Array, Number),
      };
    });
  } finally {
    table.dispose();
  }
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, rel: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= rel * (1 + Math.abs(b[i]!)), `${what} ${i}: ${a[i]} vs ${b[i]}`);
};

test('ops kernel: one assignment step equals the fused kernel; ties go to the first centroid', () => {
  assert.equal(tidy(() => new CentroidTable(zeros([2, 3])).kernel), 'fused', 'the CPU default');
  const b = gaussianBlobs(12, 200, 48, { seed: 3, spread: 4 });
  // Centroids near the blobs' centres: each takes its blob's rows.
  const c = gaussianBlobs(1, 12, 48, { seed: 4, spread: 0, std: 0.5 });
  const x = tensor(b.data, { shape: [b.n, 48] }), cs = tensor(Float32Array.from(b.centers, (v, i) => v + c.data[i]!), { shape: [12, 48] });
  const fused = step(x, cs, 'fused'), ops = step(x, cs, 'ops');
  assert.deepEqual(ops.labels, fused.labels);
  assert.deepEqual(ops.counts, fused.counts);
  assert.ok(new Set(fused.labels).size === 12, 'every centroid takes rows');
  close(ops.sums, fused.sums, 1e-9, 'sum');
  close(ops.sqDist, fused.sqDist, 1e-5, 'distance');
  assert.ok(Math.abs(ops.inertia - fused.inertia) <= 1e-6 * fused.inertia, `inertia ${ops.inertia} vs ${fused.inertia}`);
  // Centroids 1 and 3 are equal, 0 and 2 equidistant from the first two rows.
  const t = tensor(Float32Array.from([-1, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 2, 9, 9, 9]), { shape: [5, 3] });
  const tx = tensor(Float32Array.from([0, 1, 0, 0, 0, -3, 2, 2, 2, 2, 2, 2.1]), { shape: [4, 3] });
  assert.deepEqual(step(tx, t, 'ops').labels, [0, 0, 1, 1]);
  assert.deepEqual(step(tx, t, 'ops').labels, step(tx, t, 'fused').labels);
  for (const u of [x, cs, t, tx]) u.dispose();
});

/** kmeans through both kernels from the same options; checks they agree and returns the fused run. */
function bothKernels(x: Tensor, o: KMeansOptions, labelsEqual = true) {
  const before = memory().liveTensors;
  const f = kmeans(x, { ...o, kernel: 'fused' }), p = kmeans(x, { ...o, kernel: 'ops' });
  try {
    const fl = Array.from(f.labels.data() as BigInt64Array, Number), pl = Array.from(p.labels.data() as BigInt64Array, Number);
    if (labelsEqual) assert.deepEqual(pl, fl, 'labels');
    close(p.centroids.data() as Float32Array, f.centroids.data() as Float32Array, 1e-5, 'centroid value');
    assert.ok(Math.abs(p.inertia - f.inertia) <= 1e-6 * f.inertia, `inertia ${p.inertia} vs ${f.inertia}`);
    assert.equal(p.iterations, f.iterations);
    assert.equal(p.reseeded, f.reseeded);
    assert.deepEqual(p.clusterSizes, f.clusterSizes);
    return { reseeded: f.reseeded, sizes: f.clusterSizes, inertia: f.inertia };
  } finally {
    for (const r of [f, p]) {
      r.centroids.dispose();
      r.labels.dispose();
    }
    assert.equal(memory().liveTensors, before, 'no tensor left behind');
  }
}

test('ops kernel: k-means++ and Lloyd give the fused kernel\'s labels, centroids and inertia', () => {
  const b = gaussianBlobs(10, 120, 16, { seed: 9, spread: 10 });
  const x = tensor(b.data, { shape: [b.n, 16] });
  const r = bothKernels(x, { k: 10, seed: 1, chunkRows: 500 });
  assert.deepEqual(r.sizes, new Array(10).fill(120));
  bothKernels(x, { k: 10, seed: 2, miniBatch: 200, maxIter: 3 });
  x.dispose();
});

test('ops kernel: empty clusters are re-seeded as by the fused kernel', () => {
  // All initial centroids but one sit far away: six clusters are re-seeded in the first step.
  const b = gaussianBlobs(7, 20, 3, { seed: 2 });
  const x = tensor(b.data, { shape: [b.n, 3] });
  const init = tensor(Float32Array.from({ length: 21 }, (_, i) => (i < 3 ? 0 : 1e4 + i)), { shape: [7, 3] });
  const r = bothKernels(x, { k: 7, init, tol: 0 });
  assert.ok(r.reseeded >= 6, `reseeded ${r.reseeded}`);
  assert.ok(r.sizes.every((s) => s > 0), `sizes ${r.sizes}`);
  x.dispose();
  init.dispose();
});

test('k-means: an unknown kernel is a clear error', () => {
  const x = tensor([[0], [1], [10]]);
  assert.throws(() => kmeans(x, { k: 2, kernel: 'gpu' as KMeansKernel }), /k-means: kernel must be 'fused' or 'ops', got 'gpu'/);
  x.dispose();
});
