import { test } from 'node:test';
import assert from 'node:assert/strict';
import { empty, zeros, tidy, manualSeed, type Tensor } from '../../src/engine/index.js';
import * as nn from '../../src/nn/index.js';

const { init } = nn;
manualSeed(3);

function stats(t: Tensor): { mean: number; std: number; maxAbs: number } {
  const v = t.data() as Float32Array;
  let s = 0, s2 = 0, m = 0;
  for (const x of v) {
    s += x;
    s2 += x * x;
    m = Math.max(m, Math.abs(x));
  }
  const mean = s / v.length;
  return { mean, std: Math.sqrt(s2 / v.length - mean * mean), maxAbs: m };
}

test('calculateGain and computeFans follow the formulas', () => {
  assert.equal(init.calculateGain('linear'), 1);
  assert.equal(init.calculateGain('conv2d'), 1);
  assert.equal(init.calculateGain('sigmoid'), 1);
  assert.equal(init.calculateGain('tanh'), 5 / 3);
  assert.equal(init.calculateGain('relu'), Math.sqrt(2));
  assert.equal(init.calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
  assert.equal(init.calculateGain('leaky_relu', Math.sqrt(5)), Math.sqrt(1 / 3));
  assert.equal(init.calculateGain('selu'), 0.75);
  assert.throws(() => init.calculateGain('swish' as never), /unsupported nonlinearity 'swish'/);
  const w = empty([8, 4, 3, 3]);
  assert.deepEqual(init.computeFans(w), { fanIn: 36, fanOut: 72 });
  const v = empty([5]);
  assert.throws(() => init.computeFans(v), /at least 2 dims, got \[5\]/);
  w.dispose();
  v.dispose();
});

test('default Linear/Conv2d init: weights and bias uniform on ±1/sqrt(fanIn) (kaiming_uniform with a=sqrt(5))', () => {
  const lin = new nn.Linear(400, 300);
  const conv = new nn.Conv2d(16, 64, 3);
  for (const [w, b, fanIn] of [
    [lin.weight, lin.bias!, 400],
    [conv.weight, conv.bias!, 16 * 9],
  ] as const) {
    const bound = 1 / Math.sqrt(fanIn);
    const sw = stats(w);
    assert.ok(sw.maxAbs <= bound, `weight max ${sw.maxAbs} > ${bound}`);
    assert.ok(sw.maxAbs > 0.99 * bound, 'weights fill the whole interval');
    // uniform on [-b, b] has std b / sqrt(3)
    assert.ok(Math.abs(sw.std / (bound / Math.sqrt(3)) - 1) < 0.02, `weight std ${sw.std}`);
    const sb = stats(b);
    assert.ok(sb.maxAbs <= bound && sb.maxAbs > 0.8 * bound, `bias max ${sb.maxAbs}, bound ${bound}`);
  }
  const bn = new nn.BatchNorm2d(5);
  assert.deepEqual(bn.weight!.tolist(), [1, 1, 1, 1, 1]);
  assert.deepEqual(bn.bias!.tolist(), [0, 0, 0, 0, 0]);
  for (const m of [lin, conv, bn]) m.dispose();
});

test('kaimingNormal_ std is sqrt(2/fan) (relu); kaimingUniform_ bound sqrt(6/fan); xavier from fanIn+fanOut', () => {
  const t = empty([512, 256]);
  init.kaimingNormal_(t, { nonlinearity: 'relu' });
  let s = stats(t);
  assert.ok(Math.abs(s.mean) < 0.002, `mean ${s.mean}`);
  assert.ok(Math.abs(s.std / Math.sqrt(2 / 256) - 1) < 0.01, `std ${s.std}`);
  init.kaimingNormal_(t, { mode: 'fanOut', nonlinearity: 'relu' });
  s = stats(t);
  assert.ok(Math.abs(s.std / Math.sqrt(2 / 512) - 1) < 0.01, `fanOut std ${s.std}`);
  init.kaimingNormal_(t, { a: 1, nonlinearity: 'leaky_relu' });
  s = stats(t);
  assert.ok(Math.abs(s.std / Math.sqrt(1 / 256) - 1) < 0.01, `leaky_relu a=1 std ${s.std}`);

  init.kaimingUniform_(t, { nonlinearity: 'relu' });
  s = stats(t);
  const kb = Math.sqrt(6 / 256);
  assert.ok(s.maxAbs <= kb && s.maxAbs > 0.99 * kb, `kaiming uniform max ${s.maxAbs}, bound ${kb}`);

  init.xavierUniform_(t, 2);
  s = stats(t);
  const xb = 2 * Math.sqrt(6 / (256 + 512));
  assert.ok(s.maxAbs <= xb && s.maxAbs > 0.99 * xb, `xavier uniform max ${s.maxAbs}, bound ${xb}`);
  init.xavierNormal_(t);
  s = stats(t);
  assert.ok(Math.abs(s.std / Math.sqrt(2 / 768) - 1) < 0.01, `xavier normal std ${s.std}`);

  init.normal_(t, 3, 0.5);
  s = stats(t);
  assert.ok(Math.abs(s.mean - 3) < 0.01 && Math.abs(s.std - 0.5) < 0.01);
  init.uniform_(t, 2, 4);
  s = stats(t);
  assert.ok(Math.abs(s.mean - 3) < 0.01 && s.maxAbs <= 4);
  assert.throws(() => init.kaimingNormal_(t, { mode: 'fan_in' as never }), /mode must be 'fanIn' or 'fanOut'/);
  t.dispose();
});

test('initialisers work in place on parameters (no autograd error) and constants are exact', () => {
  const lin = new nn.Linear(3, 2);
  const w = lin.weight;
  init.constant_(w, 0.25);
  assert.equal(lin.weight, w);
  assert.deepEqual(w.tolist(), [[0.25, 0.25, 0.25], [0.25, 0.25, 0.25]]);
  init.zeros_(lin.bias!);
  assert.deepEqual(lin.bias!.tolist(), [0, 0]);
  init.ones_(w);
  assert.equal(tidy(() => w.sum().item()), 6);
  assert.ok(w.requiresGrad && w.isLeaf && w.gradFn === null);
  const z = zeros([2, 2]);
  assert.equal(init.kaimingUniform_(z), z);
  z.dispose();
  lin.dispose();
});
