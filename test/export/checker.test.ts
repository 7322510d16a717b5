// The exported files pass ONNX's own checker, onnx.checker.check_model(full_check=True) (which
// also runs strict shape inference), from Debian's python3-onnx; skipped when it is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed } from '../../src/engine/index.js';
import * as nn from '../../src/nn/index.js';
import { buildSeededTrunk, buildZooNet } from '../../src/models/index.js';
import { onnxModel, type OnnxSpec } from '../../src/export/index.js';
import { tempFolders } from '../helpers/tmp.js';

const PYTHON = '/usr/bin/python3';
const CHECK = 'import onnx, sys\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\n    print("ok", p)';
const probe = spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' });
const skip = probe.status === 0 ? false : `Python's onnx is absent (${PYTHON} -c 'import onnx' failed; Debian package python3-onnx)`;
const tmp = tempFolders('onnx-check');

test('onnx.checker.check_model(full_check=True) accepts logits, embeddings, both normalisations and the other layers', { skip }, () => {
  const dir = tmp('models');
  const files: string[] = [];
  const write = (name: string, net: nn.Module, spec: Partial<OnnxSpec> & { inputShape: [number, number, number] }) => {
    const p = join(dir, `${name}.onnx`);
    writeFileSync(p, onnxModel(net, { arch: name, normalization: { kind: 'dataset', mean: [0.5], std: [0.25] }, tap: null, pool: null, ...spec }).bytes);
    net.dispose();
    files.push(p);
  };
  manualSeed(1);
  write('alexnet_s', buildZooNet('alexnet_s', 10, 1), { inputShape: [1, 32, 32] });
  write('vgg_s_conv3', buildSeededTrunk('vgg_s', 3, 0), { inputShape: [3, 32, 32], tap: 'conv3', pool: [2, 2], normalization: { kind: 'per-image' }, opset: 13 });
  write('resnet18_layer4', buildSeededTrunk('resnet18', 3, 0), { inputShape: [3, 64, 64], tap: 'layer4', pool: [1, 1], normalization: { kind: 'dataset', mean: [0.4, 0.5, 0.6], std: [0.2, 0.2, 0.2] } });
  write('layers', new nn.Sequential(new nn.LocalResponseNorm(3), new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true }), new nn.LeakyReLU(0.2), new nn.Flatten(), new nn.Linear(16, 2)), { inputShape: [1, 7, 7] });
  const r = spawnSync(PYTHON, ['-c', CHECK, ...files], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, files.length);
});

test('the checker can fail: a model whose node reads a value nothing makes is refused', { skip }, () => {
  const p = join(tmp('broken'), 'broken.onnx');
  const net = new nn.Sequential(new nn.Flatten(), new nn.Linear(4, 2));
  const bytes = Buffer.from(onnxModel(net, { arch: 'broken', inputShape: [1, 2, 2], normalization: { kind: 'per-image' }, tap: null, pool: null }).bytes);
  net.dispose();
  const at = bytes.indexOf('1.weight');
  assert.ok(at > 0);
  bytes.write('X', at); // the Gemm node (encoded before the weights) now reads 'X.weight', which nothing makes
  writeFileSync(p, bytes);
  const r = spawnSync(PYTHON, ['-c', CHECK, p], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /X\.weight/);
});
