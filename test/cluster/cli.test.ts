// `selfsup cluster` and `selfsup cluster assign` end to end, through the compiled command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tensor } from '../../src/engine/index.js';
import { readNpy, readNpyHeader, writeNpy } from '../../src/io/index.js';
import { Preprocessor, type ClusterSummary } from '../../src/cluster/index.js';
import { gaussianBlobs, inertiaOf } from './blobs.js';
import { grayCache } from '../helpers/idx.js';
import { clusterCommand } from '../../src/cli/cluster.js';
import { tempFolders } from '../helpers/tmp.js';
import { selfsup } from '../helpers/cli.js';

const tmp = tempFolders('cluster-cli');
const cluster = (...args: string[]) => selfsup(['cluster', ...args], { threads: 2 });

const blobs = gaussianBlobs(3, 20, 6, { seed: 31 }); // row i belongs to blob i % 3
const labels = Array.from(blobs.truth);
let features = '';
let cache = '';

test.before(async () => {
  const dir = tmp('inputs');
  features = join(dir, 'features.npy');
  writeNpy(features, blobs.data, [blobs.n, blobs.dim]);
  const images = Uint8Array.from({ length: blobs.n * 16 }, (_, i) => i % 251);
  cache = await grayCache(tmp('idx'), join(dir, 'cache'), images, 4, labels);
});

test('cluster: writes assignments, centroids, preprocessor and summary; scores against the labels', () => {
  const out = join(tmp('run'), 'clusters');
  const r = cluster('--features', features, '--k', '3', '--pca', '4', '--whiten', '--l2', '--n-init', '2', '--seed', '7', '--labels', cache, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /run 1\/2: initialising/);
  assert.match(r.stderr, /run 2\/2: inertia [\d.e+-]+ after \d+ iterations/);
  assert.match(r.stdout, /vs labels {2}NMI 1\.0000, ARI 1\.0000, purity 1\.0000 \(3 classes\)/);
  assert.deepEqual(readdirSync(dirname(out)), ['clusters']); // no temporary folder left

  const assignments = readNpy(join(out, 'assignments.npy'));
  assert.equal(assignments.dtype, 'int64');
  assert.deepEqual(assignments.shape, [60]);
  const centroids = readNpy(join(out, 'centroids.npy'));
  assert.equal(centroids.dtype, 'float32');
  assert.deepEqual(centroids.shape, [3, 4]);
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as ClusterSummary;
  assert.equal(s.k, 3);
  assert.equal(s.seed, 7);
  assert.equal(s.n, 60);
  assert.equal(s.dim, 6);
  assert.equal(s.clusteredDim, 4);
  assert.deepEqual([s.preprocessing.pca, s.preprocessing.whiten, s.preprocessing.l2], [4, true, true]);
  assert.deepEqual(s.clusterSizes, [20, 20, 20]);
  assert.equal(s.runs.length, 2);
  assert.ok(s.iterations >= 1 && s.inertiaHistory.length >= 1);
  assert.deepEqual([s.labels!.nmi, s.labels!.ari, s.labels!.purity], [1, 1, 1]);
  // Rows of one blob share a cluster.
  for (let i = 3; i < 60; i++) assert.equal(assignments.data[i], assignments.data[i % 3]);

  // The inertia is the sum of squared distances in the clustered space: recompute it from the saved files.
  const pre = Preprocessor.load(join(out, 'preprocess.safetensors'));
  const y = pre.transform(tensor(blobs.data, { shape: [60, 6] }));
  const expected = inertiaOf(y.data() as Float32Array, 4, centroids.data as Float32Array, assignments.data as BigInt64Array);
  assert.ok(Math.abs(s.inertia - expected) <= 1e-5 * expected, `${s.inertia} vs ${expected}`);
  y.dispose();
  pre.dispose();

  // Pseudo-labels for the same features from the saved folder equal the assignments.
  const labelsOut = join(tmp('assign'), 'pseudo.npy');
  const a = cluster('assign', '--clusters', out, '--features', features, '--out', labelsOut, '--labels', cache);
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.stdout, /labelled {3}60 rows .* with 3 clusters/);
  assert.match(a.stdout, /NMI 1\.0000, ARI 1\.0000, purity 1\.0000/);
  assert.deepEqual(readFileSync(labelsOut), readFileSync(join(out, 'assignments.npy')));
});

test('cluster without preprocessing, mini-batch, random init', () => {
  const out = join(tmp('mb'), 'clusters');
  const r = cluster('--features', features, '--k', '3', '--mini-batch', '16', '--iters', '5', '--init', 'random', '--quiet', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as ClusterSummary;
  assert.equal(s.miniBatch, 16);
  assert.equal(s.preprocessing.pca, null);
  assert.equal(s.clusteredDim, 6);
  assert.deepEqual(readNpyHeader(join(out, 'centroids.npy')).shape, [3, 6]);
});

test('clear errors for bad input, and no output folder', async () => {
  const dir = tmp('bad');
  const out = join(dir, 'never');
  // One through the process (exit status, 'selfsup:' prefix); the rest in this process, same command object.
  const r = cluster('--features', features, '--k', '61', '--out', out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^selfsup: --k 61 is more than the 60 rows of .*features\.npy/m);
  const check = async (args: string[], message: RegExp) => {
    const cmd = clusterCommand();
    for (const c of [cmd, ...cmd.commands]) c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    await assert.rejects(cmd.parseAsync([...args, '--out', out, '--quiet'], { from: 'user' }), message);
    assert.equal(existsSync(out), false);
  };
  await check(['--features', features, '--k', '3', '--pca', '7'], /--pca 7 is more than the 6 feature dimensions/);
  const text = join(dir, 'f.txt');
  writeFileSync(text, 'not features');
  await check(['--features', text, '--k', '2'], /f\.txt: expected a \.npy file of features/);
  const fake = join(dir, 'fake.npy');
  writeFileSync(fake, 'not features');
  await check(['--features', fake, '--k', '2'], /fake\.npy: not a \.npy file/);
  const flat = join(dir, 'flat.npy');
  writeNpy(flat, new Float32Array(10), [10]);
  await check(['--features', flat, '--k', '2'], /flat\.npy: features must be a 2-D N x D matrix, got shape \[10\]/);
  const ints = join(dir, 'ints.npy');
  writeNpy(ints, new Int32Array(10), [5, 2]);
  await check(['--features', ints, '--k', '2'], /ints\.npy: features must be float32 or float64, got int32/);
  const half = join(dir, 'half.npy');
  writeNpy(half, blobs.data.subarray(0, 30 * 6), [30, 6]);
  await check(['--features', half, '--k', '2', '--labels', cache], /the cache has 60 images but .*half\.npy has 30 rows/);
  await check(['--features', features, '--k', '0'], /--k must be an integer >= 1, got '0'/);
  await check(['--features', features], /required option '--k <clusters>' not specified/);
  await check(['assign', '--clusters', dir, '--features', features], /not a clustering folder \(no summary\.json/);
});
