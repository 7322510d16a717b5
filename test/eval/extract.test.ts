// One frozen pass over a cache gives every head: each equals the feature source of the same
// tap and pooling computed on its own (an independent path), and the grids follow the rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openCache } from '../../src/data/cache/index.js';
import { extractFeatures, parseSource, readFeaturesInfo } from '../../src/features/index.js';
import { readNpy } from '../../src/io/npy.js';
import { openEvalModel } from '../../src/eval/model.js';
import { defaultPooledDim, defaultTaps, gridFor, planHeads } from '../../src/eval/taps.js';
import { extractHeads } from '../../src/eval/extract.js';
import { grayCache } from '../helpers/idx.js';
import { rng } from '../helpers/random.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('eval-extract');

test('pooling grids: about D values per tap, as in the paper for full-size AlexNet', () => {
  // conv1..conv5 of torchvision's AlexNet: 64/192/384/256/256 channels (the paper's original 96/256/384/384/256 give 9600/9216/9600/9600/9216).
  assert.deepEqual([96, 256, 384, 384, 256].map((c) => c * gridFor(c, 55, 9216) ** 2), [9600, 9216, 9600, 9600, 9216]);
  assert.equal(gridFor(64, 8, 2000), 6); // 64 * 36 = 2304
  assert.equal(gridFor(512, 2, 9216), 2, 'never beyond the map');
  assert.equal(gridFor(4096, 7, 100), 1);
  assert.deepEqual(defaultTaps('alexnet_s'), ['conv1', 'conv2', 'conv3', 'conv4', 'conv5']);
  assert.deepEqual(defaultTaps('vgg_s'), ['conv1', 'conv2', 'conv3', 'conv4', 'conv5']);
  assert.deepEqual(defaultTaps('resnet18'), ['conv1', 'layer1', 'layer2', 'layer3', 'layer4']);
  assert.equal(defaultPooledDim('alexnet_s'), 2000);
  assert.equal(defaultPooledDim('alexnet'), 9216);
});

test('every head of one pass equals the random:ARCH@TAP feature source with the same pooling', async () => {
  const n = 40, side = 32, r = rng(3);
  const images = Uint8Array.from({ length: n * side * side }, () => Math.floor(r() * 256));
  const dir = await grayCache(tmp('idx'), join(tmp('cache'), 'c'), images, side, Array.from({ length: n }, (_, i) => i % 4));
  const cache = openCache(dir);
  const model = openEvalModel('random:alexnet_s', cache, 5);
  try {
    const heads = planHeads(model.trunk, 'alexnet_s', cache.shape, ['conv2', 'conv5'], 2000, true);
    assert.deepEqual(heads.map((h) => [h.name, h.grid, h.dim]), [['conv2', 6, 64 * 36], ['conv5', 6, 64 * 36], ['conv2:gap', 1, 64], ['conv5:gap', 1, 64]]);
    const got = await extractHeads(model, heads, cache, { batchSize: 16, quiet: true });
    for (const h of got) {
      const out = join(tmp('f'), `${h.head.name.replace(':', '_')}.npy`);
      const source = parseSource(`random:alexnet_s@${h.head.tap}`, { inChannels: 1, mean: cache.manifest.mean, std: cache.manifest.std, pool: `${h.head.grid}x${h.head.grid}`, seed: 5 });
      try {
        await extractFeatures(source, cache, out, { batchSize: 7, quiet: true });
      } finally {
        source.dispose();
      }
      assert.equal(readFeaturesInfo(out).dim, h.head.dim);
      const want = readNpy(out).data as Float32Array;
      let diff = 0;
      for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(want[i]! - h.data[i]!));
      assert.ok(diff < 1e-5, `${h.head.name}: max difference ${diff}`); // other batch sizes: same math, other blocking
    }
    assert.throws(() => planHeads(model.trunk, 'alexnet_s', cache.shape, ['conv9'], 2000, false), /--taps: alexnet_s has no layer 'conv9'; it has conv1, conv2/);
  } finally {
    model.dispose();
    cache.close();
  }
});
