// Streaming extraction to .npy: rows equal the source applied directly, --limit, flat memory over
// many batches, nothing left behind on failure, and `selfsup features` end to end on a tiny cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromBytes, memory, setNumThreads, tidy, type Tensor } from '../../src/engine/index.js';
import { memorySource, toShared } from '../../src/data/loader/index.js';
import { openCache, prepareCache } from '../../src/data/cache/index.js';
import { readNpy } from '../../src/io/npy.js';
import { extractFeatures, parseSource, readFeaturesInfo, type FeatureSource } from '../../src/features/index.js';
import { idxFile } from '../helpers/idx.js';
import { randomBytes } from '../helpers/random.js';
import { tempFolders } from '../helpers/tmp.js';
import { selfsup } from '../helpers/cli.js';

const fresh = tempFolders('features');
// Tiny batches gain nothing from a second libtorch thread, and on a busy machine each op can
// wait for a descheduled one (measured here: 1 ms batches became 140 ms).
setNumThreads(1);

/** The source applied to all images at once (bytes / 255), as a Float32Array. */
function direct(source: FeatureSource, bytes: Uint8Array, shape: number[]): Float32Array {
  return tidy(() => source.extract(fromBytes(bytes, shape, 'uint8').float().div(255)).data() as Float32Array);
}

test('rows equal the source applied directly, over batches of any size; the sidecar says what they are', async () => {
  const bytes = randomBytes(70 * 16 * 16, 1);
  const images = memorySource(toShared(bytes), [1, 16, 16]);
  const source = parseSource('hog:cell=4,block=2');
  const out = join(fresh('rows'), 'sub', 'hog.npy');
  const info = await extractFeatures(source, images, out, { batchSize: 16, quiet: true, data: 'seventy random images' });
  const npy = readNpy(out);
  assert.deepEqual(npy.shape, [70, 3 * 3 * 2 * 2 * 9]);
  assert.equal(npy.dtype, 'float32');
  assert.deepEqual(npy.data, direct(source, bytes, [70, 1, 16, 16]));
  assert.deepEqual(readFeaturesInfo(out), info);
  assert.equal(info.source, 'hog:cell=4,block=2');
  assert.equal(info.data, 'seventy random images');
  assert.equal(info.count, 70);
  assert.equal(info.dim, 324);
  assert.deepEqual(info.imageShape, [1, 16, 16]);
});

test('--limit takes the first N images', async () => {
  const bytes = randomBytes(50 * 3 * 8 * 8, 2);
  const source = parseSource('pixels', { pool: '2x2' });
  const out = join(fresh('limit'), 'pix.npy');
  const info = await extractFeatures(source, memorySource(bytes, [3, 8, 8]), out, { batchSize: 8, limit: 21, quiet: true });
  const npy = readNpy(out);
  assert.deepEqual(npy.shape, [21, 12]);
  assert.equal(info.count, 21);
  assert.deepEqual(npy.data, direct(source, bytes.subarray(0, 21 * 192), [21, 3, 8, 8]));
});

test('live tensors and native bytes stay flat over 60 batches of a random network', async () => {
  const bytes = randomBytes(60 * 8 * 1 * 16 * 16, 3);
  const source = parseSource('random:alexnet_s@conv3', { inChannels: 1, mean: [0.5], std: [0.29], pool: '2x2' });
  const live: number[] = [], bytesLive: number[] = [];
  await extractFeatures(source, memorySource(toShared(bytes), [1, 16, 16]), join(fresh('memory'), 'f.npy'), {
    batchSize: 8, quiet: true,
    onBatch: () => {
      live.push(memory().liveTensors);
      bytesLive.push(memory().liveBytes);
    },
  });
  source.dispose();
  assert.equal(live.length, 60);
  assert.deepEqual(new Set(live.slice(1)).size, 1, `live tensors changed between batches: ${[...new Set(live)].join(', ')}`);
  assert.deepEqual(new Set(bytesLive.slice(1)).size, 1, 'live native bytes changed between batches');
});

test('a failing source leaves no file behind and an existing target as it was', async () => {
  const dir = fresh('fail');
  const out = join(dir, 'f.npy');
  writeFileSync(out, 'previous contents');
  const pixels = parseSource('pixels');
  let calls = 0;
  const failing: FeatureSource = {
    name: 'failing', dim: (s) => pixels.dim(s), dispose() {},
    extract(x: Tensor) {
      if (++calls === 3) throw new Error('failing: broke on batch 3');
      return pixels.extract(x);
    },
  };
  await assert.rejects(extractFeatures(failing, memorySource(randomBytes(40 * 16, 4), [1, 4, 4]), out, { batchSize: 8, quiet: true }), /broke on batch 3/);
  assert.equal(readFileSync(out, 'utf8'), 'previous contents');
  assert.deepEqual(readdirSync(dir), ['f.npy'], 'no temporary file or sidecar left');
  const wrongShape: FeatureSource = { ...failing, extract: (x: Tensor) => tidy(() => pixels.extract(x).narrow(1, 0, 3)) };
  await assert.rejects(
    extractFeatures(wrongShape, memorySource(randomBytes(8 * 16, 5), [1, 4, 4]), out, { quiet: true }),
    /failing: returned float32 \[8, 3\] for 8 images, expected float32 \[8, 16\]/,
  );
  assert.deepEqual(readdirSync(dir), ['f.npy']);
});

test('selfsup features: a tiny cache end to end, rows equal the source on the cached images', async () => {
  const src = fresh('idx');
  writeFileSync(join(src, 'train-images-idx3-ubyte'), idxFile([37, 16, 16], randomBytes(37 * 256, 6)));
  const cacheDir = join(fresh('cache'), 'c');
  await prepareCache(src, { out: cacheDir, size: 16, channels: 3, quiet: true });
  const out = join(fresh('cli'), 'f.npy');
  const run = (args: string[]) => selfsup(['features', ...args], { threads: 1 });
  const r = run(['--source', 'random:vgg_s@conv3', '--pool', 'global', '--seed', '5', '--data', cacheDir, '--out', out, '--batch-size', '10', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /features {2}37 x 64 float32 \(random:vgg_s@conv3\)/);

  const cache = openCache(cacheDir);
  const source = parseSource('random:vgg_s@conv3', { inChannels: 3, mean: cache.manifest.mean, std: cache.manifest.std, pool: 'global', seed: 5 });
  const want = direct(source, cache.readRange(0, 37), [37, 3, 16, 16]);
  source.dispose();
  cache.close();
  const npy = readNpy(out);
  assert.deepEqual(npy.shape, [37, 64]);
  const got = npy.data as Float32Array;
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
  assert.ok(diff < 1e-5, `max difference ${diff}`); // batches of 10 vs one batch of 37: same math, other blocking
  const info = readFeaturesInfo(out);
  assert.equal(info.pool, 'global');
  assert.equal(info.seed, 5);
  assert.equal(info.data, cacheDir);

  const bad = run(['--source', 'sift', '--data', cacheDir, '--out', join(fresh('cli'), 'g.npy')]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^selfsup: unknown feature source 'sift'/);
  const noCache = run(['--source', 'hog', '--data', join(src, 'nope'), '--out', join(fresh('cli'), 'g.npy')]);
  assert.equal(noCache.status, 1);
  assert.match(noCache.stderr, /not a prepared cache/);
  assert.ok(!existsSync(join(src, 'nope')));
});
