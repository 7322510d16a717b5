// Every zoo arch, randomly initialised (seeded; BatchNorm statistics perturbed), exported as its
// logits and as an embedding at a tap: onnxruntime computes what selfsup computes, within 1e-4
// of the largest value, at two batch sizes. The embedding is compared with the `random:ARCH`
// feature source of `selfsup features`, the same weights (same seed) through the real extraction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, tensor } from '../../src/engine/index.js';
import { Normalize, standardizePerImage } from '../../src/data/augment/normalize.js';
import { ARCHS, buildSeededTrunk, buildZooNet } from '../../src/models/index.js';
import { parseSource } from '../../src/features/index.js';
import { parsePool } from '../../src/features/source.js';
import { onnxModel, type InputNormalization } from '../../src/export/index.js';
import { assertRelClose, images, perturbBatchNorm, runOrt, values, withOrt } from './ort.js';

const TOL = 1e-4;
const MEAN = [0.45, 0.5, 0.4], STD = [0.25, 0.2, 0.3];
/** Archs for 32 px at 32 px with batches of 1 and 5; full-size ones at 224 px with 1 and 2. */
const SIZES: Record<string, { side: number; batches: number[]; channels: number }> = {
  convnet_s: { side: 32, batches: [1, 5], channels: 1 },
  alexnet_s: { side: 32, batches: [1, 5], channels: 3 },
  vgg_s: { side: 32, batches: [1, 5], channels: 3 },
  alexnet: { side: 224, batches: [1, 2], channels: 3 },
  alexnet_bn: { side: 224, batches: [1, 2], channels: 3 },
  vgg16: { side: 224, batches: [1, 2], channels: 3 },
  resnet18: { side: 224, batches: [1, 2], channels: 3 },
};
/** An embedding per arch: a tap and a pooling that divides its map. */
const EMBEDDINGS: Record<string, [string, string][]> = {
  alexnet_s: [['conv5', '2x2'], ['conv2', 'global']],
  vgg_s: [['conv4_2', 'none'], ['conv5', 'global']],
  alexnet: [['conv5', 'global']],
  alexnet_bn: [['conv3', '13x13']],
  vgg16: [['conv5', 'global']],
  resnet18: [['layer4', 'global'], ['layer2', '7x7']],
};

test('the table covers the zoo', () => {
  assert.deepEqual(Object.keys(SIZES).sort(), Object.keys(ARCHS).sort());
});

for (const [arch, { side, batches, channels }] of Object.entries(SIZES)) {
  const mean = MEAN.slice(0, channels), std = STD.slice(0, channels);
  const norm: InputNormalization = { kind: 'dataset', mean, std };
  const normalize = new Normalize(mean, std);

  test(`${arch}: logits by onnxruntime equal selfsup's at batch sizes ${batches.join(' and ')}`, async () => {
    manualSeed(3);
    const net = ARCHS[arch]!.build(10, channels);
    try {
      perturbBatchNorm(net);
      net.eval();
      const m = onnxModel(net, { arch, inputShape: [channels, side, side], normalization: norm, tap: null, pool: null });
      assert.deepEqual(m.outputShape, [10]);
      await withOrt(m.bytes, async (run) => {
        for (const b of batches) {
          const x = images([b, channels, side, side], 10 + b);
          try {
            const want = values(() => net.forward(normalize.apply(x.t)));
            const got = await run(x.data, [b, channels, side, side]);
            assert.deepEqual(got.dims, [b, 10]);
            assertRelClose(got.data, want, TOL, `${arch} logits, batch ${b}`);
          } finally {
            x.t.dispose();
          }
        }
      });
    } finally {
      net.dispose();
    }
  });

  for (const [tap, pool] of EMBEDDINGS[arch] ?? []) {
    test(`${arch}: the ${tap} embedding (pool ${pool}) by onnxruntime equals selfsup features' random:${arch}@${tap}`, async () => {
      const trunk = buildSeededTrunk(arch, channels, 5);
      const source = parseSource(`random:${arch}@${tap}`, { inChannels: channels, mean, std, pool, seed: 5 });
      try {
        const m = onnxModel(trunk, { arch, inputShape: [channels, side, side], normalization: norm, tap, pool: parsePool(pool) });
        assert.deepEqual(m.outputShape, [source.dim([channels, side, side])]);
        await withOrt(m.bytes, async (run) => {
          for (const b of batches) {
            const x = images([b, channels, side, side], 20 + b);
            try {
              const want = values(() => source.extract(x.t));
              const got = await run(x.data, [b, channels, side, side]);
              assert.deepEqual(got.dims, [b, m.outputShape[0]]);
              assertRelClose(got.data, want, TOL, `${arch} ${tap} pool ${pool}, batch ${b}`);
            } finally {
              x.t.dispose();
            }
          }
        });
      } finally {
        source.dispose();
        trunk.dispose();
      }
    });
  }
}

test("per-image normalisation in the graph equals standardizePerImage (a jigsaw run's input), flat images included", async () => {
  manualSeed(4);
  const net = buildZooNet('alexnet_s', 4, 1);
  try {
    perturbBatchNorm(net);
    net.eval();
    const m = onnxModel(net, { arch: 'alexnet_s', inputShape: [1, 32, 32], normalization: { kind: 'per-image' }, tap: null, pool: null });
    const x = images([3, 1, 32, 32], 7);
    x.t.dispose();
    x.data.fill(0.5, 0, 1024); // a flat image: its std is floored, not amplified
    const t = tensor(x.data, { shape: [3, 1, 32, 32] });
    try {
      const want = values(() => net.forward(standardizePerImage(t)));
      const got = await runOrt(m.bytes, x.data, [3, 1, 32, 32]);
      assertRelClose(got.data, want, TOL, 'per-image');
    } finally {
      t.dispose();
    }
  } finally {
    net.dispose();
  }
});
