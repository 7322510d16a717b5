// Tensor creation: from JS data, constants, ranges, and seeded random numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor, tidy, zeros, ones, full, arange, linspace, eye, empty, rand, randn, randint, randperm, manualSeed,
  zerosLike, onesLike, fullLike, getRngState, setRngState, type Tensor,
} from '../../src/engine/index.js';
import { assertClose } from '../helpers/assert.js';

const nums = (t: Tensor): number[] => Array.from(t.data() as ArrayLike<number | bigint>, Number);

test('tensor() from nested arrays: shape, default dtypes, explicit dtype, scalars', () =>
  tidy(() => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.equal(t.device, 'cpu');
    assert.deepEqual(t.tolist(), [[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(tensor([[[1], [2]]]).shape, [1, 2, 1]);
    const s = tensor(2.5);
    assert.deepEqual(s.shape, []);
    assert.equal(s.item(), 2.5);
    assert.equal(tensor([true, false]).dtype, 'bool');
    assert.equal(tensor(true).dtype, 'bool');
    const l = tensor([[1, -2], [3, 2 ** 40]], { dtype: 'int64' });
    assert.equal(l.dtype, 'int64');
    assert.deepEqual(Array.from(l.data() as BigInt64Array), [1n, -2n, 3n, 2n ** 40n]);
    // float64 keeps full precision; float32 rounds
    assert.equal(tensor([0.1], { dtype: 'float64' }).item(), 0.1);
    assert.equal(tensor([0.1]).item(), Math.fround(0.1));
    assert.deepEqual(tensor([]).shape, [0]);
    assert.deepEqual(tensor([[], []]).shape, [2, 0]);
    assert.equal(tensor([1, 2], { requiresGrad: true }).requiresGrad, true);
  }));

test('tensor() rejects ragged arrays and non-numbers', () => {
  assert.throws(() => tensor([[1, 2], [3]]), /ragged/);
  assert.throws(() => tensor([[1, 2], 3] as never), /ragged/);
  assert.throws(() => tensor([1, [2, 3]] as never), /ragged/);
  assert.throws(() => tensor([[[1]], [[1, 2]]]), /ragged/);
  assert.throws(() => tensor(['a'] as never), /expected numbers or booleans, got string/);
  assert.throws(() => tensor([1, null] as never), /expected numbers or booleans/);
});

test('tensor() from a flat array takes a shape that holds its values, and refuses one that does not', () => {
  tidy(() => {
    const t = tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
    assert.deepEqual(t.shape, [2, 3]);
    assert.deepEqual(t.tolist(), [[1, 2, 3], [4, 5, 6]]);
    assert.throws(() => tensor([1, 2, 3], { shape: [2, 2] }), /shape \[2, 2\] does not hold the 3 values given/);
  });
});

test('tensor() from typed arrays keeps their dtype, takes a shape, converts with dtype, respects offsets', () =>
  tidy(() => {
    const cases: [ArrayBufferView, string][] = [
      [new Float32Array([1, 2]), 'float32'],
      [new Float64Array([1, 2]), 'float64'],
      [new Int32Array([1, 2]), 'int32'],
      [new BigInt64Array([1n, 2n]), 'int64'],
      [new Uint8Array([1, 2]), 'uint8'],
    ];
    for (const [a, d] of cases) {
      const t = tensor(a);
      assert.equal(t.dtype, d);
      assert.deepEqual(t.shape, [2]);
      assert.deepEqual(nums(t), [1, 2]);
    }
    const m = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2] });
    assert.deepEqual(m.tolist(), [[1, 2], [3, 4], [5, 6]]);
    const d = tensor(new Float32Array([1.5, 2.5]), { dtype: 'float64' });
    assert.equal(d.dtype, 'float64');
    assert.deepEqual(nums(d), [1.5, 2.5]);
    assert.deepEqual(nums(tensor(new Int32Array([7, -8]), { dtype: 'int64' })), [7, -8]);
    // a subarray starts at its byte offset
    assert.deepEqual(nums(tensor(new Float32Array([0, 1, 2, 3]).subarray(1, 3))), [1, 2]);
    // the tensor owns a copy
    const src = new Float32Array([1, 2]);
    const c = tensor(src);
    src[0] = 99;
    assert.deepEqual(nums(c), [1, 2]);
    assert.throws(() => tensor(new Float32Array(6), { shape: [4] }), /holds 6 values but shape \[4\] of float32 needs 4 values/);
    assert.throws(() => tensor(new Int16Array(2)), /unsupported typed array Int16Array/);
  }));

test('zeros, ones, full, empty, and the *Like versions', () =>
  tidy(() => {
    assert.deepEqual(zeros([2, 3]).tolist(), [[0, 0, 0], [0, 0, 0]]);
    assert.deepEqual(zeros(2).shape, [2]);
    const o = ones([2], { dtype: 'int32' });
    assert.equal(o.dtype, 'int32');
    assert.deepEqual(o.tolist(), [1, 1]);
    assert.deepEqual(full([2, 2], 7).tolist(), [[7, 7], [7, 7]]);
    assert.equal(full([1], 7).dtype, 'float32');
    assert.equal(full([1], -3, { dtype: 'int64' }).item(), -3);
    assert.deepEqual(full([2], true, { dtype: 'bool' }).tolist(), [1, 1]);
    assert.deepEqual(empty([3, 4]).shape, [3, 4]);
    assert.deepEqual(zeros([]).shape, []);
    const base = ones([2, 1], { dtype: 'float64' });
    const z = zerosLike(base), on = onesLike(base), f = fullLike(base, 0.5);
    for (const t of [z, on, f]) {
      assert.equal(t.dtype, 'float64');
      assert.deepEqual(t.shape, [2, 1]);
    }
    assert.deepEqual(f.tolist(), [[0.5], [0.5]]);
    assert.deepEqual(z.tolist(), [[0], [0]]);
  }));

test('arange is int64 for integer arguments and float32 otherwise; linspace; eye', () =>
  tidy(() => {
    const a = arange(5);
    assert.equal(a.dtype, 'int64');
    assert.deepEqual(a.tolist(), [0, 1, 2, 3, 4]);
    assert.deepEqual(arange(2, 8, 3).tolist(), [2, 5]);
    assert.deepEqual(arange(5, 0, -2).tolist(), [5, 3, 1]);
    const f = arange(1, 2, 0.25);
    assert.equal(f.dtype, 'float32');
    assert.deepEqual(f.tolist(), [1, 1.25, 1.5, 1.75]);
    assert.equal(arange(0.5, 3).dtype, 'float32');
    assert.deepEqual(arange(0.5, 3).tolist(), [0.5, 1.5, 2.5]);
    const d = arange(3, undefined, 1, { dtype: 'float64' });
    assert.equal(d.dtype, 'float64');
    assert.deepEqual(d.tolist(), [0, 1, 2]);
    assert.deepEqual(arange(0).shape, [0]);
    const l = linspace(0, 1, 5);
    assert.equal(l.dtype, 'float32');
    assertClose(l.tolist(), [0, 0.25, 0.5, 0.75, 1]);
    assertClose(linspace(-1, 1, 3, { dtype: 'float64' }).tolist(), [-1, 0, 1]);
    assert.deepEqual(linspace(2, 3, 1).tolist(), [2]);
    assert.deepEqual(eye(3).tolist(), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    assert.deepEqual(eye(2, 3).tolist(), [[1, 0, 0], [0, 1, 0]]);
    assert.equal(eye(2, 2, { dtype: 'int64' }).dtype, 'int64');
  }));

test('rand and randn: same seed, same numbers; another seed, other numbers', () =>
  tidy(() => {
    for (const gen of [rand, randn]) {
      manualSeed(123);
      const a = nums(gen([500]));
      const a2 = nums(gen([500])); // the generator moves on
      manualSeed(123);
      const b = nums(gen([500]));
      manualSeed(124);
      const c = nums(gen([500]));
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, a2);
      assert.notDeepEqual(a, c);
    }
    manualSeed(5);
    const f64 = rand([4], { dtype: 'float64' });
    assert.equal(f64.dtype, 'float64');
    assert.throws(() => manualSeed(-1), /non-negative integer/);
  }));

test('rand is in [0, 1), randn has mean 0 and std 1 (20k samples)', () =>
  tidy(() => {
    manualSeed(1);
    const u = nums(rand([20000]));
    assert.ok(u.every((v) => v >= 0 && v < 1));
    const mu = u.reduce((s, v) => s + v, 0) / u.length;
    assert.ok(Math.abs(mu - 0.5) < 0.01, `mean ${mu}`); // sd of the mean is 0.002
    const n = nums(randn([20000]));
    const m = n.reduce((s, v) => s + v, 0) / n.length;
    const sd = Math.sqrt(n.reduce((s, v) => s + (v - m) ** 2, 0) / (n.length - 1));
    assert.ok(Math.abs(m) < 0.03, `mean ${m}`);
    assert.ok(Math.abs(sd - 1) < 0.03, `std ${sd}`);
    assert.deepEqual(randn([2, 3]).shape, [2, 3]);
  }));

test('randint draws int64 integers in [low, high), all values reached; seeded', () =>
  tidy(() => {
    manualSeed(9);
    const r = randint(3, 7, [2000]);
    assert.equal(r.dtype, 'int64');
    const v = nums(r);
    assert.ok(v.every((x) => Number.isInteger(x) && x >= 3 && x < 7));
    assert.deepEqual([...new Set(v)].sort(), [3, 4, 5, 6]);
    manualSeed(9);
    assert.deepEqual(nums(randint(3, 7, [2000])), v);
    assert.equal(randint(0, 2, [3], { dtype: 'int32' }).dtype, 'int32');
    assert.throws(() => randint(5, 5, [3]), /randint/);
  }));

test('randperm is a permutation of 0..n-1 (int64), seeded', () =>
  tidy(() => {
    manualSeed(2);
    const p = randperm(50);
    assert.equal(p.dtype, 'int64');
    const v = nums(p);
    assert.deepEqual([...v].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
    assert.notDeepEqual(v, Array.from({ length: 50 }, (_, i) => i));
    manualSeed(2);
    assert.deepEqual(nums(randperm(50)), v);
    manualSeed(3);
    assert.notDeepEqual(nums(randperm(50)), v);
    assert.deepEqual(nums(randperm(0)), []);
  }));

test('getRngState/setRngState resume the exact random stream', () => {
  manualSeed(3);
  randn([5]);
  const state = getRngState();
  const a = Array.from(rand([7]).data() as Float32Array).concat(Array.from(randn([3]).data() as Float32Array));
  randn([100]); // move on
  setRngState(state);
  const b = Array.from(rand([7]).data() as Float32Array).concat(Array.from(randn([3]).data() as Float32Array));
  assert.deepEqual(b, a);
  assert.throws(() => setRngState(zeros([3])), /setRngState\(\[3\] float32\)/);
  state.dispose();
});
