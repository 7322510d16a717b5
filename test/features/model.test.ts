// model:RUN[@LAYER]: a finished run's trunk as a feature source, its input prepared as in training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { F, manualSeed, noGrad, rand, setNumThreads, tensor, tidy, type Tensor } from '../../src/engine/index.js';
import { buildZooNet, type ZooNet } from '../../src/models/index.js';
import { saveSafetensors } from '../../src/io/index.js';
import { parseSource } from '../../src/features/index.js';
import { tempFolders } from '../helpers/tmp.js';
import { maxAbsDiff } from '../helpers/tensors.js';

setNumThreads(1); // tiny batches (see sources.test.ts)
const fresh = tempFolders('model-source');
const MEAN = [0.4], STD = [0.2];

/** A run folder as a finished pretext run leaves it: config.json and trunk.safetensors. Returns the net. */
function fakeRun(dir: string, input: 'dataset' | 'per-image'): ZooNet {
  manualSeed(11);
  const net = buildZooNet('alexnet_s', 1, 1);
  // Running statistics unlike a fresh net's, so that loading them shows.
  for (const [name, b] of net.trunk.namedBuffers()) {
    if (name.endsWith('running_mean')) b.uniform_(-0.5, 0.5);
    if (name.endsWith('running_var')) b.uniform_(0.5, 2);
  }
  saveSafetensors(join(dir, 'trunk.safetensors'), net.trunk.stateDict());
  const config = {
    format: 'selfsup.pretext-run', version: 1, task: 'rotation', arch: 'alexnet_s',
    data: { cache: '/nowhere', shape: [1, 16, 16], mean: MEAN, std: STD, trainImages: 10, valImages: 0 },
    train: { epochs: 1, batchSize: 8, optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0, schedule: 'cosine', warmupSteps: 0, seed: 0, valFraction: 0 },
    input,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return net;
}

/** The net's own tap, pooled, for input prepared by hand: an independent path to the same numbers. */
function byHand(net: ZooNet, input: Tensor, tap: string, pool: number): Tensor {
  net.eval();
  return noGrad(() => tidy(() => F.adaptiveAvgPool2d(net.features(input, [tap]).get(tap)!, pool).flatten(1)));
}

test('model:RUN@LAYER: the run trunk with its BN statistics, input normalised with the run data mean/std', () => {
  const dir = fresh('run');
  const net = fakeRun(dir, 'dataset');
  const x = rand([5, 1, 16, 16]);
  const s = parseSource(`model:${dir}@conv4`, { inChannels: 1, pool: '2x2' });
  tidy(() => {
    assert.equal(s.name, `model:${dir}@conv4`);
    assert.equal(s.dim([1, 16, 16]), 96 * 4);
    const f = s.extract(x);
    const want = byHand(net, x.sub(tensor(MEAN).view(1, 1, 1, 1)).div(tensor(STD).view(1, 1, 1, 1)), 'conv4', 2);
    assert.ok(maxAbsDiff(f, want) < 1e-5, `differs from the trunk by hand by ${maxAbsDiff(f, want)}`);
    const random = parseSource('random:alexnet_s@conv4', { inChannels: 1, mean: MEAN, std: STD, pool: '2x2' });
    assert.ok(maxAbsDiff(f, random.extract(x)) > 1e-2, 'a fresh net gives other features');
    random.dispose();
  });
  s.dispose();
  net.dispose();
  x.dispose();
});

test('model:RUN: per-image standardisation when the run trained so; default layer is the last', () => {
  const dir = fresh('run');
  const net = fakeRun(dir, 'per-image');
  const x = rand([3, 1, 16, 16]);
  const s = parseSource(`model:${dir}`, { pool: 'global' });
  tidy(() => {
    const flat = x.reshape(3, -1);
    const std = flat.std(1, { correction: 0, keepdim: true });
    const standardized = flat.sub(flat.mean(1, true)).div(std).view(3, 1, 16, 16);
    assert.ok(maxAbsDiff(s.extract(x), byHand(net, standardized, 'conv5', 1)) < 1e-5);
    assert.equal(s.dim([1, 16, 16]), 64);
  });
  s.dispose();
  net.dispose();
  x.dispose();
});

test('model: errors name the run, the layer and the channels', () => {
  const dir = fresh('run');
  fakeRun(dir, 'dataset').dispose();
  assert.throws(() => parseSource(`model:${dir}@fc7`), /unknown layer 'fc7'; the run's alexnet_s has conv1, conv2, conv3, conv4, conv5/);
  assert.throws(() => parseSource(`model:${dir}`, { inChannels: 3 }), /takes 1-channel images, the data has 3 channels/);
  assert.throws(() => parseSource(`model:${fresh('empty')}`), /no config\.json/);
  assert.throws(() => parseSource('model:'), /name a run folder/);
});
