// Cluster classification: the whole chain as a user runs it (features -> k-means -> transfer
// train) on a synthetic set whose clusters are plain to see, and the target learns them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tensor, tidy } from '../../src/engine/index.js';
import { writeNpy } from '../../src/io/index.js';
import { trainTransfer, readPseudoLabels } from '../../src/transfer/index.js';
import { loadSourceModel } from '../../src/artifacts/index.js';
import { bands } from '../helpers/runs.js';
import { grayCache } from '../helpers/idx.js';
import { tempFolders } from '../helpers/tmp.js';
import { selfsup } from '../helpers/cli.js';

const tmp = tempFolders('transfer');
const SIDE = 32, KINDS = 4;

const run = (args: string[]) => {
  const r = selfsup(args);
  assert.equal(r.status, 0, `selfsup ${args.join(' ')}\n${r.stderr}`);
  return r;
};

test('features -> cluster -> transfer train: the target learns the clusters', async () => {
  const n = 480;
  const { images, labels } = bands(n, 1);
  const cache = await grayCache(tmp('idx'), join(tmp('cache'), 'c'), images, SIDE, labels);
  const work = tmp('work');
  run(['features', '--source', 'pixels', '--pool', '8x8', '--data', cache, '--out', join(work, 'f.npy'), '--quiet']);
  run(['cluster', 'run', '--features', join(work, 'f.npy'), '--k', String(KINDS), '--out', join(work, 'clusters'), '--labels', cache]);
  const clusters = JSON.parse(readFileSync(join(work, 'clusters', 'summary.json'), 'utf8'));
  assert.ok(clusters.labels.ari > 0.99, `pixel k-means finds the bands (ARI ${clusters.labels.ari})`);
  const out = join(work, 'target');
  run(['transfer', 'train', '--clusters', join(work, 'clusters'), '--arch', 'alexnet_s', '--data', cache, '--out', out,
    '--epochs', '3', '--batch-size', '32', '--optimizer', 'adam', '--lr', '0.001', '--warmup', '0', '--val-fraction', '0.1', '--quiet']);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.k, KINDS);
  assert.ok(summary.valAccuracy > 0.9, `validation cluster accuracy ${summary.valAccuracy} (largest cluster ${summary.chance})`);
  // The target's trunk loads as a feature source, with the cache's normalisation.
  const src = loadSourceModel(out);
  assert.equal(src.config.input, 'dataset');
  tidy(() => {
    const x = tensor(images.subarray(0, 2 * SIDE * SIDE), { shape: [2, 1, SIDE, SIDE] }).float().div(255);
    assert.deepEqual(src.trunk.features(src.preprocess(x), ['conv5']).get('conv5')!.shape, [2, 64, 8, 8]);
  });
  src.dispose();
});

test('pseudo-labels from a file, cluster-balanced sampling, and clear errors', async () => {
  const n = 256;
  const { images } = bands(n, 2);
  // Unbalanced pseudo-labels: cluster 0 holds 3/4 of the images.
  const pseudo = Array.from({ length: n }, (_, i) => (i % 4 === 3 ? 1 + (i % 3) : 0));
  const cache = await grayCache(tmp('idx'), join(tmp('cache'), 'c'), images, SIDE, pseudo.map(() => 0));
  const file = join(tmp('labels'), 'labels.npy');
  writeNpy(file, BigInt64Array.from(pseudo.map(BigInt)), [n]);
  assert.deepEqual([...readPseudoLabels(file).labels], pseudo);
  const out = join(tmp('run'), 'r');
  const r = await trainTransfer({ clusters: file, data: cache, out, epochs: 1, batchSize: 32, balanced: true, quiet: true });
  assert.equal(r.status, 'completed');
  assert.equal(r.summary!.k, 4);
  assert.ok(Math.abs(r.summary!.chance - 0.75) < 0.01, 'chance is the largest cluster\'s share');
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(config.train.balanced, true);
  assert.deepEqual(config.clusters.sizes, [192, 22, 21, 21]);
  await assert.rejects(() => trainTransfer({ clusters: file, data: cache, out, quiet: true }), /already holds a run/);
  const short = join(tmp('labels'), 'short.npy');
  writeNpy(short, new BigInt64Array(10), [10]);
  await assert.rejects(() => trainTransfer({ clusters: short, data: cache, out: tmp('x'), quiet: true }), /has 10 pseudo-labels but .* has 256 images/);
  const floats = join(tmp('labels'), 'floats.npy');
  writeNpy(floats, new Float32Array(4), [2, 2]);
  assert.throws(() => readPseudoLabels(floats), /expected a 1-D int64 array of cluster indices, got float32 \[2, 2\]/);
  assert.throws(() => readPseudoLabels(tmp('empty')), /not a clustering folder \(no assignments\.npy/);
});
