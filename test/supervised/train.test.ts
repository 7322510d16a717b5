// Supervised training on a cache's own labels: on a synthetic set whose classes are plain to see
// the network learns them, its run folder is an artifact whose trunk loads as a feature source,
// a stopped run resumes to the files of an uninterrupted one, and a labelless cache is refused.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tensor, tidy } from '../../src/engine/index.js';
import { loadSourceModel } from '../../src/artifacts/index.js';
import { trainSupervised } from '../../src/supervised/index.js';
import { grayCache } from '../helpers/idx.js';
import { assertSameFiles, bands, unlabeledCache } from '../helpers/runs.js';
import { tempFolders } from '../helpers/tmp.js';
import { selfsup } from '../helpers/cli.js';

const tmp = tempFolders('supervised');
const SIDE = 32, N = 256;
let cache = '';
let images: Uint8Array;
before(async () => {
  const b = bands(N, 1, SIDE);
  images = b.images;
  cache = await grayCache(tmp('idx'), join(tmp('cache'), 'c'), images, SIDE, b.labels);
});

const small = { arch: 'alexnet_s', epochs: 2, batchSize: 32, optimizer: 'adam' as const, lr: 0.001, warmup: 0, valFraction: 0.125, seed: 4, quiet: true };

test('selfsup train supervised: well above chance on held-out images; a selfsup.supervised-run artifact whose trunk loads', () => {
  const out = join(tmp('run'), 'r');
  const r = selfsup(['train', 'supervised', '--arch', 'alexnet_s', '--data', cache, '--out', out, '--epochs', '3', '--batch-size', '32',
    '--optimizer', 'adam', '--lr', '0.001', '--warmup', '0', '--val-fraction', '0.125']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /classes \(4\): training accuracy .*; largest class 25\.00%/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.classes, 4);
  assert.ok(summary.valAccuracy > 0.8, `validation accuracy ${summary.valAccuracy} (chance ${summary.chance})`);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  assert.equal(manifest.format, 'selfsup.supervised-run');
  assert.equal(manifest.stage, 'train supervised');
  assert.match(manifest.key, /^[0-9a-f]{16}$/);
  assert.equal(manifest.config.arch, 'alexnet_s');
  assert.equal(manifest.config.cropPadding, 2);
  assert.equal(manifest.config.flip, true);
  assert.ok(manifest.inputs.data.key, 'the cache is an input, with its key');
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.classes.sizes, [64, 64, 64, 64]);
  // The trunk loads as a feature source, with the cache's normalisation.
  const src = loadSourceModel(out);
  try {
    assert.equal(src.config.input, 'dataset');
    assert.equal(src.key, manifest.key);
    tidy(() => {
      const x = tensor(images.subarray(0, 2 * SIDE * SIDE), { shape: [2, 1, SIDE, SIDE] }).float().div(255);
      assert.deepEqual(src.trunk.features(src.preprocess(x), ['conv5']).get('conv5')!.shape, [2, 64, 8, 8]);
    });
  } finally {
    src.dispose();
  }
});

test('stopped with maxSteps and resumed: the files of an uninterrupted run', async () => {
  const straight = join(tmp('straight'), 'r');
  const a = await trainSupervised({ ...small, data: cache, out: straight });
  assert.equal(a.status, 'completed');
  const out = join(tmp('stopped'), 'r');
  const b = await trainSupervised({ ...small, data: cache, out, maxSteps: 5 });
  assert.deepEqual([b.status, b.step], ['stopped', 5]);
  const c = await trainSupervised({ ...small, data: cache, out, resume: true });
  assert.equal(c.status, 'completed');
  assert.equal(c.step, a.step);
  assert.equal(c.key, a.key);
  assertSameFiles(straight, out);
  await assert.rejects(() => trainSupervised({ ...small, arch: 'vgg_s', data: cache, out, resume: true }), /was trained with arch 'alexnet_s', not 'vgg_s'/);
});

test('a cache without labels: a clear error naming --data, and no run folder', async () => {
  const { images: img } = bands(64, 2, SIDE);
  const bare = await unlabeledCache(tmp('idx'), join(tmp('cache'), 'u'), img, 64, SIDE);
  const out = join(tmp('none'), 'r');
  await assert.rejects(() => trainSupervised({ data: bare, out, quiet: true }), /^Error: --data .*u: the cache has no labels, and training on classes needs them/);
  const r = selfsup(['train', 'supervised', '--data', bare, '--out', out, '--quiet']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--data .*: the cache has no labels/);
  assert.equal(existsSync(out), false);
  await assert.rejects(() => trainSupervised({ data: cache, out: join(tmp('convnet'), 'r'), arch: 'convnet_s', quiet: true }), /has no trunk\/head split/);
});
