// A trained run (supervised, one epoch on synthetic bands) exported from the command line: its
// logits model equals the run's network and its embedding model equals `selfsup features
// --source model:RUN@LAYER` on the same images, by onnxruntime; the metadata say what the model
// is; the safetensors carry PyTorch's key names; bad input fails with the layer named and
// leaves no file behind.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tensor } from '../../src/engine/index.js';
import { Normalize } from '../../src/data/augment/normalize.js';
import { readNpy, readSafetensorsHeader } from '../../src/io/index.js';
import { trainSupervised } from '../../src/supervised/index.js';
import { loadRunNetwork } from '../../src/export/index.js';
import { grayCache } from '../helpers/idx.js';
import { bands } from '../helpers/runs.js';
import { tempFolders } from '../helpers/tmp.js';
import { selfsup } from '../helpers/cli.js';
import { assertRelClose, metadataOf, runOrt, values } from './ort.js';

const tmp = tempFolders('export');
const SIDE = 32, N = 64;
let cache = '', run = '', pixels = new Float32Array();
before(async () => {
  const b = bands(N, 2, SIDE);
  pixels = Float32Array.from(b.images, (v) => v / 255);
  cache = await grayCache(tmp('idx'), join(tmp('cache'), 'c'), b.images, SIDE, b.labels);
  run = join(tmp('run'), 'r');
  await trainSupervised({ arch: 'alexnet_s', data: cache, out: run, epochs: 1, batchSize: 16, optimizer: 'adam', lr: 0.001, warmup: 0, valFraction: 0.25, seed: 1, quiet: true });
});

const ok = (args: string[]) => {
  const r = selfsup(args);
  assert.equal(r.status, 0, r.stderr);
  return r;
};
const batch = (n: number) => pixels.slice(0, n * SIDE * SIDE);

test('export onnx: the logits of a trained run by onnxruntime equal the network, at batch sizes 1 and 6; metadata say what it is', async () => {
  const out = join(tmp('onnx'), 'logits.onnx');
  const r = ok(['export', 'onnx', '--model', run, '--out', out]);
  assert.match(r.stdout, /alexnet_s logits: \[batch, 1, 32, 32\] -> \[batch, 4\], opset 17/);
  const bytes = readFileSync(out);
  const { net, config, key } = loadRunNetwork(run);
  try {
    const normalize = new Normalize(config.data.mean, config.data.std);
    for (const n of [1, 6]) {
      const x = tensor(batch(n), { shape: [n, 1, SIDE, SIDE] });
      const want = values(() => net.forward(normalize.apply(x)));
      x.dispose();
      const got = await runOrt(bytes, batch(n), [n, 1, SIDE, SIDE]);
      assert.deepEqual(got.dims, [n, 4]);
      assertRelClose(got.data, want, 1e-4, `logits, batch ${n}`);
    }
    const meta = metadataOf(bytes);
    const manifest = JSON.parse(readFileSync(join(run, 'manifest.json'), 'utf8'));
    assert.equal(key, manifest.key);
    assert.deepEqual(
      { arch: meta.arch, tap: meta.tap, pool: meta.pool, input_shape: meta.input_shape, normalization: meta.normalization, mean: meta.mean, std: meta.std, run_key: meta.run_key, run_format: meta.run_format },
      { arch: 'alexnet_s', tap: 'logits', pool: 'none', input_shape: '[1,32,32]', normalization: 'dataset', mean: JSON.stringify(config.data.mean), std: JSON.stringify(config.data.std), run_key: manifest.key, run_format: 'selfsup.supervised-run' },
    );
  } finally {
    net.dispose();
  }
});

test('export onnx --layer conv4 --pool 2x2: onnxruntime gives the rows of selfsup features --source model:RUN@conv4 --pool 2x2', async () => {
  const dir = tmp('embedding');
  const out = join(dir, 'conv4.onnx');
  const r = ok(['export', 'onnx', '--model', run, '--layer', 'conv4', '--pool', '2x2', '--opset', '13', '--out', out]);
  assert.match(r.stdout, /embedding conv4 \(pool 2x2\): \[batch, 1, 32, 32\] -> \[batch, 384\], opset 13/);
  ok(['features', '--source', `model:${run}@conv4`, '--pool', '2x2', '--data', cache, '--limit', '7', '--out', join(dir, 'f.npy'), '--quiet']);
  const want = readNpy(join(dir, 'f.npy'));
  assert.deepEqual(want.shape, [7, 384]);
  const bytes = readFileSync(out);
  for (const n of [1, 7]) {
    const got = await runOrt(bytes, batch(n), [n, 1, SIDE, SIDE]);
    assert.deepEqual(got.dims, [n, 384]);
    assertRelClose(got.data, (want.data as Float32Array).subarray(0, n * 384), 1e-4, `conv4 embedding, batch ${n}`);
  }
  const meta = metadataOf(bytes);
  assert.equal(meta.tap, 'conv4');
  assert.equal(meta.output_shape, '[384]');
});

/** alexnet_s in PyTorch's naming (written out by hand): features.N as torchvision's AlexNet, classifier.K after the pool. */
function alexnetSKeys(classes: number, trunkOnly = false): Record<string, number[]> {
  const keys: Record<string, number[]> = {};
  const convs: [number, number[]][] = [[0, [32, 1, 5, 5]], [4, [64, 32, 5, 5]], [8, [96, 64, 3, 3]], [11, [96, 96, 3, 3]], [14, [64, 96, 3, 3]]];
  for (const [i, shape] of convs) {
    keys[`features.${i}.weight`] = shape;
    keys[`features.${i}.bias`] = [shape[0]!];
    for (const b of ['weight', 'bias', 'running_mean', 'running_var']) keys[`features.${i + 1}.${b}`] = [shape[0]!];
    keys[`features.${i + 1}.num_batches_tracked`] = [];
  }
  if (trunkOnly) return keys;
  Object.assign(keys, {
    'classifier.0.weight': [512, 256], 'classifier.0.bias': [512],
    'classifier.3.weight': [512, 512], 'classifier.3.bias': [512],
    'classifier.5.weight': [classes, 512], 'classifier.5.bias': [classes],
  });
  return keys;
}

test("export safetensors: PyTorch's key names and shapes for alexnet_s (the whole network, or --trunk)", () => {
  const dir = tmp('st');
  for (const trunk of [false, true]) {
    const out = join(dir, trunk ? 'trunk.safetensors' : 'net.safetensors');
    ok(['export', 'safetensors', '--model', run, '--out', out, ...(trunk ? ['--trunk'] : [])]);
    const h = readSafetensorsHeader(out);
    const got = Object.fromEntries([...h.tensors].map(([k, t]) => [k, [...t.shape]]));
    assert.deepEqual(got, alexnetSKeys(4, trunk));
    assert.equal(h.metadata?.format, 'pt');
    assert.equal(h.tensors.get('features.1.num_batches_tracked')!.dtype, 'int64');
  }
});

test('bad input: an unknown layer, a pool without a layer, a grid that does not divide the map, not a run; nothing is written', () => {
  const dir = tmp('bad');
  const fail = (args: string[], message: RegExp) => {
    const r = selfsup(['export', 'onnx', '--model', run, '--out', join(dir, 'm.onnx'), ...args]);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, message);
  };
  fail(['--layer', 'conv9'], /alexnet_s has no layer 'conv9'; its layers are conv1, conv2, conv3, conv4, conv5/);
  fail(['--pool', '2x2'], /--pool 2x2 applies to an embedding model; name a layer with --layer/);
  fail(['--layer', 'conv5', '--pool', '3x3'], /pool 3x3 of conv5 .*pooling a 8x8 map to 3x3 needs windows of unequal sizes/);
  fail(['--opset', '18'], /--opset must be at most 17, got 18/);
  const r = selfsup(['export', 'onnx', '--model', cache, '--out', join(dir, 'm.onnx')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not a run folder/);
  assert.deepEqual(readdirSync(dir), [], 'no file, no temporary file');
  assert.ok(!existsSync(join(dir, 'm.onnx')));
});
