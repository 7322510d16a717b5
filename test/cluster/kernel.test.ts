// The fused k-means kernel (native/src/cluster.cc) against plain loops in float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, empty, tidy, clusterKernels, setNumThreads, getNumThreads, memory, buildInfo } from '../../src/engine/index.js';
import { gaussianBlobs } from './blobs.js';

/** Runs the kernel on x [n, dim] with centroids c [k, dim]; returns plain arrays. */
function run(x: Float32Array, c: Float32Array, n: number, k: number, dim: number) {
  return tidy(() => {
    const ct = tensor(c, { shape: [k, dim] });
    const labels = empty([n], { dtype: 'int64' });
    const sqDist = empty([n]);
    const sums = zeros([k, dim], { dtype: 'float64' });
    const counts = zeros([k], { dtype: 'int64' });
    const inertia = clusterKernels.nearestCentroidsInto(
      tensor(x, { shape: [n, dim] }), undefined, ct.t().contiguous(), ct.square().sum(1).mul(0.5), labels, sqDist, { sums, counts });
    return {
      inertia,
      labels: Array.from(labels.data() as BigInt64Array, Number),
      sqDist: Array.from(sqDist.data() as Float32Array),
      sums: Array.from(sums.data() as Float64Array),
      counts: Array.from(counts.data() as BigInt64Array, Number),
    };
  });
}

/** The kernel's results for blobs against plain float64 loops. */
function checkAgainstLoops(blobs: number, perBlob: number, k: number, dim: number, seed: number): void {
  const b = gaussianBlobs(blobs, perBlob, dim, { seed, spread: 4 });
  const c = gaussianBlobs(1, k, dim, { seed: seed + 1, spread: 0, std: 4 });
  const n = b.n;
  const got = run(b.data, c.data, n, k, dim);
  const sums = new Float64Array(k * dim);
  const counts = new Array<number>(k).fill(0);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestD = Infinity;
    for (let j = 0; j < k; j++) {
      let d = 0;
      for (let e = 0; e < dim; e++) d += (b.data[i * dim + e]! - c.data[j * dim + e]!) ** 2;
      if (d < bestD) [best, bestD] = [j, d];
    }
    assert.equal(got.labels[i], best, `row ${i}`);
    assert.ok(Math.abs(got.sqDist[i]! - bestD) <= 1e-4 * (1 + bestD), `row ${i}: ${got.sqDist[i]} vs ${bestD}`);
    inertia += bestD;
    counts[best]!++;
    for (let e = 0; e < dim; e++) sums[best * dim + e]! += b.data[i * dim + e]!;
  }
  assert.deepEqual(got.counts, counts);
  got.sums.forEach((s, i) => assert.ok(Math.abs(s - sums[i]!) <= 1e-9 * (1 + Math.abs(sums[i]!)), `sum ${i}: ${s} vs ${sums[i]}`));
  assert.ok(Math.abs(got.inertia - inertia) <= 1e-5 * inertia, `inertia ${got.inertia} vs ${inertia}`);
}

test('fused kernel: labels, distances, inertia, sums and counts match float64 loops', () => {
  // 5,040 rows of 64 values, k = 12: 20 blocks of 256 rows in 8 stripes of partial sums.
  checkAgainstLoops(12, 420, 12, 64, 3);
  // 1,000 rows, k = 300: too few rows per centroid for stripes; the sums in a second pass.
  checkAgainstLoops(10, 100, 300, 16, 7);
});

test('fused kernel: ties go to the first centroid; the result does not depend on the thread count', () => {
  const dim = 3;
  // Centroids 1 and 3 are equal, and 0 and 2 equidistant from every row on the x = 0 plane.
  const c = Float32Array.from([-1, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 2, 9, 9, 9, 5, 5, 5, 7, 7, 7, 8, 8, 8, 6, 6, 6]);
  const x = Float32Array.from([0, 1, 0, 0, 0, -3, 2, 2, 2, 2, 2, 2.1]);
  const got = run(x, c, 4, 9, dim);
  assert.deepEqual(got.labels, [0, 0, 1, 1]);
  assert.deepEqual(got.counts, [2, 2, 0, 0, 0, 0, 0, 0, 0]);

  const b = gaussianBlobs(20, 300, 16, { seed: 5, spread: 3 });
  const cs = gaussianBlobs(1, 200, 16, { seed: 6, spread: 0, std: 3 });
  // Without OpenMP in the addon its parallel_for would run everything on one thread, and this
  // comparison would hold trivially.
  assert.equal(buildInfo().openmp, true, 'the addon is compiled with -fopenmp');
  const threads = getNumThreads();
  try {
    // 6,000 rows, k = 20 (8 stripes), and 600 rows, k = 200 (the second pass).
    for (const [rows, k] of [[6000, 20], [600, 200]] as const) {
      const x = b.data.subarray(0, rows * 16);
      setNumThreads(1);
      const one = run(x, cs.data.subarray(0, k * 16), rows, k, 16);
      setNumThreads(2);
      const two = run(x, cs.data.subarray(0, k * 16), rows, k, 16);
      assert.deepEqual(two, one, `${rows} rows, k = ${k}`);
    }
  } finally {
    setNumThreads(threads);
  }
});

test('fused kernel: clear errors for wrong shapes and dtypes, and no tensor left behind', () => {
  const before = memory().liveTensors;
  tidy(() => {
    const x = zeros([4, 3]);
    const cT = zeros([3, 2]);
    const half = zeros([2]);
    const labels = empty([4], { dtype: 'int64' });
    const sqDist = empty([4]);
    const call = (o: Partial<Record<'x' | 'cT' | 'half' | 'labels' | 'sqDist' | 'sums' | 'counts', ReturnType<typeof zeros>>>) =>
      clusterKernels.nearestCentroidsInto(o.x ?? x, undefined, o.cT ?? cT, o.half ?? half, o.labels ?? labels, o.sqDist ?? sqDist,
        o.sums || o.counts ? { sums: o.sums ?? zeros([2, 3], { dtype: 'float64' }), counts: o.counts ?? zeros([2], { dtype: 'int64' }) } : undefined);
    assert.throws(() => call({ cT: zeros([4, 2]) }), /cT must be 3 x D, got \[4, 2\]/);
    assert.throws(() => call({ x: zeros([4, 3], { dtype: 'float64' }) }), /x must be float32, got float64/);
    assert.throws(() => call({ labels: empty([5], { dtype: 'int64' }) }), /labels must have shape \[4\], got \[5\]/);
    assert.throws(() => call({ x: zeros([3, 4]).t() }), /x must be a contiguous CPU tensor/);
    assert.throws(() => call({ sums: zeros([2, 4], { dtype: 'float64' }) }), /sums must be 2 x 3, got \[2, 4\]/);
    assert.throws(() => call({ counts: zeros([2]) }), /counts must be int64, got float32/);
    assert.equal(call({}), 0);
  });
  assert.equal(memory().liveTensors, before);
});
