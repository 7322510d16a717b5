// `features --stats TRAIN`: a random network prepares a test split with the training cache's
// mean and std, not the split's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openCache } from '../../src/data/cache/index.js';
import { extractFeatures, featuresStage, parseSource } from '../../src/features/index.js';
import { readNpy } from '../../src/io/npy.js';
import { grayCache } from '../helpers/idx.js';
import { rng } from '../helpers/random.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('features-stats');

async function cacheOf(seed: number, bright: number): Promise<string> {
  const n = 24, side = 16, r = rng(seed);
  const images = Uint8Array.from({ length: n * side * side }, () => Math.floor(r() * bright));
  return grayCache(tmp('idx'), join(tmp('cache'), 'c'), images, side, Array.from({ length: n }, (_, i) => i % 3));
}

test('a random network prepares --data with the --stats cache statistics', async () => {
  const train = await cacheOf(1, 256), testSplit = await cacheOf(2, 128);
  const out = join(tmp('f'), 'test.npy'), own = join(tmp('f'), 'own.npy'), want = join(tmp('f'), 'want.npy');
  await featuresStage({ source: 'random:alexnet_s@conv2', pool: 'global', seed: 4, data: testSplit, stats: train, out, quiet: true });
  await featuresStage({ source: 'random:alexnet_s@conv2', pool: 'global', seed: 4, data: testSplit, out: own, quiet: true });
  const t = openCache(train), c = openCache(testSplit);
  try {
    assert.notDeepEqual(t.manifest.mean, c.manifest.mean);
    const source = parseSource('random:alexnet_s@conv2', { inChannels: 1, mean: t.manifest.mean, std: t.manifest.std, pool: 'global', seed: 4 });
    try {
      await extractFeatures(source, c, want, { quiet: true });
    } finally {
      source.dispose();
    }
  } finally {
    t.close();
    c.close();
  }
  assert.deepEqual(readNpy(out).data, readNpy(want).data);
  assert.notDeepEqual(readNpy(own).data, readNpy(want).data, 'the split\'s own statistics give other features');
});
