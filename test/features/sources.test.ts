// Feature sources: output shapes and dims, pooling, pixels = the input, HOG source = hog(),
// random networks deterministic for a seed, and clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, manualSeed, noGrad, rand, randn, setNumThreads, tensor, tidy } from '../../src/engine/index.js';
import { buildZooNet } from '../../src/models/index.js';
import { hog, parseSource, type FeatureSource, type SourceOptions } from '../../src/features/index.js';
import { maxAbsDiff } from '../helpers/tensors.js';

const STATS = { mean: [0.3], std: [0.25] };
// Tiny batches gain nothing from a second libtorch thread, and on a busy machine each op can
// wait for a descheduled one (measured here: 1 ms batches became 140 ms).
setNumThreads(1);

/** Creates a source, runs fn, frees the source's weights. */
function withSource<T>(spec: string, o: SourceOptions, fn: (s: FeatureSource) => T): T {
  const s = parseSource(spec, o);
  try {
    return tidy(() => fn(s));
  } finally {
    s.dispose();
  }
}

test('pixels: the input flattened, exactly; dim C*H*W', () => {
  withSource('pixels', {}, (s) => {
    const x = rand([3, 2, 5, 4]);
    const f = s.extract(x);
    assert.deepEqual(f.shape, [3, 40]);
    assert.equal(s.dim([2, 5, 4]), 40);
    assert.deepEqual(f.data(), x.reshape(3, 40).data());
    assert.equal(s.name, 'pixels');
  });
});

test('pixels --pool: 2x2 grid means and global channel means, by hand', () => {
  // One 1x4x4 image with values 0..15: the 2x2 cells average {0,1,4,5}, {2,3,6,7}, {8,9,12,13}, {10,11,14,15}.
  const x = tensor(Float32Array.from({ length: 16 }, (_, i) => i / 16), { shape: [1, 1, 4, 4] });
  withSource('pixels', { pool: '2x2' }, (s) => {
    assert.equal(s.dim([1, 4, 4]), 4);
    assert.deepEqual(Array.from(s.extract(x).data() as Float32Array), [2.5 / 16, 4.5 / 16, 10.5 / 16, 12.5 / 16]);
  });
  withSource('pixels', { pool: 'global' }, (s) => {
    const y = rand([2, 3, 6, 6]);
    assert.equal(s.dim([3, 6, 6]), 3);
    assert.ok(maxAbsDiff(s.extract(y), y.mean([2, 3])) < 1e-6);
  });
  withSource('pixels', { pool: '3x1' }, (s) => assert.equal(s.dim([3, 6, 6]), 9));
  x.dispose();
});

test('hog source: hog() with the spec parameters', () => {
  const x = rand([4, 1, 20, 24]);
  withSource('hog:cell=4,block=2x3,norm=L1,orientations=6,sqrt', {}, (s) => {
    const f = s.extract(x);
    const want = hog(x, { pixelsPerCell: [4, 4], cellsPerBlock: [2, 3], blockNorm: 'L1', orientations: 6, transformSqrt: true });
    // 5x6 cells, 4x4 blocks of 2x3 cells, 6 orientations.
    assert.equal(s.dim([1, 20, 24]), 4 * 4 * 2 * 3 * 6);
    assert.deepEqual(f.shape, [4, 576]);
    assert.equal(maxAbsDiff(f, want), 0);
  });
  withSource('hog', {}, (s) => assert.equal(s.dim([1, 32, 32]), 2 * 2 * 3 * 3 * 9, "skimage's defaults: 8x8 cells, 3x3 blocks, 9 bins"));
  x.dispose();
});

test('random:ARCH@LAYER: shapes and dims per pooling, default layer, eval mode', () => {
  const base = { inChannels: 1, ...STATS };
  const x = rand([3, 1, 32, 32]);
  // alexnet_s at 32 px: conv5 is 64 x 8 x 8; vgg_s conv5 (= conv5_3) 128 x 2 x 2; conv2 of alexnet_s 64 x 16 x 16.
  const cases: [string, string | undefined, number][] = [
    ['random:alexnet_s@conv5', undefined, 64 * 8 * 8],
    ['random:alexnet_s', 'global', 64],
    ['random:alexnet_s@conv2', '3x3', 64 * 9],
    ['random:vgg_s', '2x2', 128 * 4],
    ['random:vgg_s@conv3_2', 'global', 64],
  ];
  for (const [spec, pool, dim] of cases) {
    withSource(spec, { ...base, pool }, (s) => {
      assert.equal(s.dim([1, 32, 32]), dim, spec);
      const f = s.extract(x);
      assert.deepEqual(f.shape, [3, dim], spec);
      assert.equal(f.dtype, 'float32');
      // Eval mode: an image's features do not depend on the rest of the batch.
      assert.ok(maxAbsDiff(s.extract(x.narrow(0, 1, 1)), f.narrow(0, 1, 1)) < 1e-4, `${spec}: batch-independent`);
    });
  }
  // Global pooling is the spatial mean of the unpooled tap.
  const full = withSource('random:alexnet_s', base, (s) => s.extract(x).reshape(3, 64, 64).mean(2));
  const global = withSource('random:alexnet_s', { ...base, pool: 'global' }, (s) => s.extract(x));
  assert.ok(maxAbsDiff(full, global) < 1e-5);
  x.dispose();
});

test('random: the same seed gives the same features, another seed others, and the global stream is untouched', () => {
  const x = rand([2, 3, 32, 32]);
  const o = { inChannels: 3, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3], pool: 'global' };
  manualSeed(123);
  const a = withSource('random:alexnet_s@conv3', { ...o, seed: 7 }, (s) => s.extract(x));
  const afterSource = randn([4]);
  const b = withSource('random:alexnet_s@conv3', { ...o, seed: 7 }, (s) => s.extract(x));
  const c = withSource('random:alexnet_s@conv3', { ...o, seed: 8 }, (s) => s.extract(x));
  assert.equal(maxAbsDiff(a, b), 0);
  assert.ok(maxAbsDiff(a, c) > 1e-3, 'seed 8 differs from seed 7');
  manualSeed(123);
  const fresh = randn([4]);
  assert.equal(maxAbsDiff(afterSource, fresh), 0, 'building the source did not draw from the global generator');
  // Independent of the source's plumbing: the zoo net seeded the same way, input normalised by hand, eval mode.
  manualSeed(7);
  const net = buildZooNet('alexnet_s', 1, 3);
  net.eval();
  const want = noGrad(() =>
    tidy(() => {
      const mean = tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1), std = tensor([0.2, 0.25, 0.3]).view(1, 3, 1, 1);
      return F.adaptiveAvgPool2d(net.features(x.sub(mean).div(std), ['conv3']).get('conv3')!, 1).flatten(1);
    }),
  );
  assert.ok(maxAbsDiff(a, want) < 1e-5);
  net.dispose();
  for (const t of [x, a, b, c, afterSource, fresh, want]) t.dispose();
});

test('bad specs, options and inputs are clear errors', () => {
  const o = { inChannels: 1, ...STATS };
  assert.throws(() => parseSource('sift'), /unknown feature source 'sift'; expected one of:\n {2}pixels/);
  assert.throws(() => parseSource('random:alexnet_x', o), /unknown arch 'alexnet_x'/);
  assert.throws(() => parseSource('random:alexnet_s@conv9', o), /unknown layer 'conv9' of alexnet_s; available: conv1, conv2/);
  assert.throws(() => parseSource('random:', o), /name an architecture/);
  assert.throws(() => parseSource('random:convnet_s', o), /has no named layers/);
  assert.throws(() => parseSource('random:alexnet_s', { inChannels: 1 }), /needs the data's per-channel mean and std/);
  assert.throws(() => parseSource('random:alexnet_s', STATS), /needs the images' channel count/);
  assert.throws(() => parseSource('pixels', { pool: '2by2' }), /pool must be 'global', 'none' or a grid HxW such as 2x2 or 3, got '2by2'/);
  assert.throws(() => parseSource('pixels:x'), /pixels takes no parameters/);
  assert.throws(() => parseSource('hog:cells=4'), /unknown HOG parameter 'cells'/);
  assert.throws(() => parseSource('hog:cell=4x'), /cell must be N or RxC/);
  assert.throws(() => parseSource('hog:norm=L3'), /blockNorm must be one of/);
  assert.throws(() => parseSource('hog', { pool: 'global' }), /--pool applies to pixels and network sources, not to HOG/);
  withSource('random:alexnet_s', o, (s) => {
    assert.throws(() => s.extract(rand([2, 3, 32, 32])), /random:alexnet_s: expects 1-channel images, got shape \[2, 3, 32, 32\]/);
    assert.throws(() => s.extract(rand([1, 32, 32])), /expected images \[B, C, H, W\], got shape \[1, 32, 32\]/);
    assert.throws(() => s.dim([3, 32, 32]), /expects 1-channel images/);
  });
  withSource('hog', {}, (s) => {
    assert.throws(() => s.extract(rand([2, 1, 32, 32], { dtype: 'float64' })), /expected float32 images with values in \[0, 1\], got float64/);
    assert.throws(() => s.dim([1, 16, 16]), /fewer than one block/);
  });
});
