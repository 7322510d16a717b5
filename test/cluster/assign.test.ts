import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import { tensor, memory, clusterKernels } from '../../src/engine/index.js';
import { readNpy, writeNpy } from '../../src/io/index.js';
import {
  kmeans,
  Preprocessor,
  pseudoLabels,
  pseudoLabelFile,
  assignNearest,
  defaultChunkRows,
  KERNEL_BLOCK_ROWS,
  writeClusters,
  loadClusters,
  type ClusterSummary,
} from '../../src/cluster/index.js';
import { gaussianBlobs } from './blobs.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('assign');

test('pseudo-labels from saved centroids equal the assignments on the clustered set', () => {
  const b = gaussianBlobs(6, 70, 8, { seed: 13, spread: 5 });
  const x = tensor(b.data, { shape: [b.n, b.dim] });
  const chunkRows = 64; // several chunks and a partial last one
  const pre = Preprocessor.fit(x, { pca: 5, whiten: true, l2: true });
  const y = pre.transform(x, { chunkRows });
  const r = kmeans(y, { k: 6, nInit: 2, seed: 4, chunkRows });
  const dir = join(tmp('clusters'), 'out');
  const summary = { format: 'selfsup-clusters', version: 1, k: 6, chunkRows } as unknown as ClusterSummary;
  writeClusters(dir, { centroids: r.centroids, labels: r.labels, preprocessor: pre, summary });
  assert.deepEqual(readdirSync(dir).sort(), ['assignments.npy', 'centroids.npy', 'preprocess.safetensors', 'summary.json']);
  const expected = r.labels.data() as BigInt64Array;
  assert.deepEqual(readNpy(join(dir, 'assignments.npy')).data, expected);

  const saved = loadClusters(dir);
  const fromTensor = pseudoLabels(x, { ...saved, chunkRows: saved.summary.chunkRows });
  assert.deepEqual(fromTensor.data(), expected);

  const featuresPath = join(tmp('features'), 'x.npy');
  writeNpy(featuresPath, b.data, [b.n, b.dim]);
  const outPath = join(tmp('labels'), 'labels.npy');
  const done: number[] = [];
  const f = pseudoLabelFile(featuresPath, { ...saved, chunkRows }, outPath, { onChunk: (rows) => done.push(rows) });
  assert.deepEqual(readNpy(outPath).data, expected);
  assert.deepEqual(f.clusterSizes, r.clusterSizes);
  assert.deepEqual(done, [64, 128, 192, 256, 320, 384, 420]);

  [x, y, r.centroids, r.labels, fromTensor, saved.centroids].forEach((t) => t.dispose());
  [pre, saved.preprocessor].forEach((p) => p.dispose());
});

test('chunk rows a multiple of the kernel block: k-means calls the kernel once, pseudo-labels by chunk agree', () => {
  for (const k of [1, 100, 700, 1000, 3000, 10_000, 100_000]) assert.equal(defaultChunkRows(k) % KERNEL_BLOCK_ROWS, 0, `K = ${k}`);
  const b = gaussianBlobs(6, 230, 8, { seed: 5, spread: 2 }); // 1,380 rows: two full chunks and a partial one
  const x = tensor(b.data, { shape: [b.n, b.dim] });
  const chunkRows = 2 * KERNEL_BLOCK_ROWS;
  let calls = 0;
  const kernel = clusterKernels.nearestCentroidsInto;
  clusterKernels.nearestCentroidsInto = (...args) => (calls++, kernel(...args));
  let r;
  try {
    r = kmeans(x, { k: 6, seed: 2, chunkRows, maxIter: 5, tol: 0 });
  } finally {
    clusterKernels.nearestCentroidsInto = kernel;
  }
  assert.equal(calls, r.iterations + 1, 'one call per assignment pass, the final one included');
  const pre = Preprocessor.fit(x, {});
  const labels = pseudoLabels(x, { centroids: r.centroids, preprocessor: pre, chunkRows });
  assert.deepEqual(labels.data(), r.labels.data());
  [x, r.centroids, r.labels, labels].forEach((t) => t.dispose());
  pre.dispose();
});

test('nearest centroid agrees with a brute-force search in float64', () => {
  const b = gaussianBlobs(1, 500, 7, { seed: 8, spread: 0, std: 3 }); // one cloud; many near-ties
  const c = gaussianBlobs(1, 40, 7, { seed: 9, spread: 0, std: 3 });
  const x = tensor(b.data, { shape: [b.n, b.dim] });
  const centroids = tensor(c.data, { shape: [c.n, c.dim] });
  const got = assignNearest(x, centroids, { chunkRows: 33 });
  const labels = got.labels.data() as BigInt64Array;
  const sqDist = got.sqDist.data() as Float32Array;
  let exact = 0;
  for (let i = 0; i < b.n; i++) {
    const d = Array.from({ length: c.n }, (_, j) => {
      let s = 0;
      for (let k = 0; k < b.dim; k++) s += (b.data[i * b.dim + k]! - c.data[j * b.dim + k]!) ** 2;
      return s;
    });
    const best = d.indexOf(Math.min(...d));
    const chosen = Number(labels[i]);
    // float32 products may swap near-ties: accept only a choice within rounding of the best.
    assert.ok(d[chosen]! - d[best]! <= 1e-4 * (1 + d[best]!), `row ${i}: chose ${chosen} at ${d[chosen]}, best ${best} at ${d[best]}`);
    if (chosen === best) exact++;
    assert.ok(Math.abs(sqDist[i]! - d[chosen]!) <= 1e-4 * (1 + d[chosen]!), `row ${i}: distance ${sqDist[i]} vs ${d[chosen]}`);
  }
  assert.ok(exact >= b.n - 2, `${b.n - exact} rows differ from brute force`);
  [x, centroids, got.labels, got.sqDist].forEach((t) => t.dispose());
});

test('labelling a file leaves no partial output on error, and names the mismatch', () => {
  const dir = tmp('errors');
  const pre = Preprocessor.fit(tensor([[0, 0, 0], [1, 2, 3]]));
  const centroids = tensor([[0, 0, 0], [1, 1, 1]]);
  const live = memory().liveTensors;
  const wrongDim = join(dir, 'wrong.npy');
  writeNpy(wrongDim, new Float32Array(8), [4, 2]);
  const out = join(dir, 'labels.npy');
  assert.throws(() => pseudoLabelFile(wrongDim, { centroids, preprocessor: pre }, out), /wrong\.npy has 2 features per row, the clustering was made on 3/);
  const bad = join(dir, 'nan.npy');
  writeNpy(bad, Float32Array.from([0, 0, 0, 1, NaN, 1]), [2, 3]);
  assert.throws(() => pseudoLabelFile(bad, { centroids, preprocessor: pre, chunkRows: 1 }, out), /nan\.npy: row 1 holds NaN or infinite values/);
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(dir).sort(), ['nan.npy', 'wrong.npy']);
  assert.equal(memory().liveTensors, live);
  centroids.dispose();
  pre.dispose();
});
