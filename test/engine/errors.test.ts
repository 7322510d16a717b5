// Bad shapes, dtypes and arguments give JS Errors that name the op and the shapes;
// the process carries on working after each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { N } from '../../src/engine/native.js';
import { tensor, tidy, zeros, ones, arange, cat, fromBytes, memory, cuda, F, type DType } from '../../src/engine/index.js';

/** Asserts fn throws an Error whose message matches every pattern, then that an op still works. */
function fails(fn: () => unknown, ...patterns: RegExp[]): Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, `expected an Error, got ${String(caught)}`);
  for (const p of patterns) assert.match(caught.message, p);
  tidy(() => assert.deepEqual(tensor([1, 2]).add(1).tolist(), [2, 3]));
  return caught;
}

test('mm, matmul, add and bmm of mismatched shapes', () =>
  tidy(() => {
    fails(() => zeros([2, 3]).mm(zeros([2, 3])), /^mm\(\[2, 3\] float32, \[2, 3\] float32\): /, /cannot be multiplied \(2x3 and 2x3\)/);
    fails(() => zeros([2, 3]).matmul(zeros([4])), /^matmul\(\[2, 3\] float32, \[4\] float32\)/);
    fails(() => zeros([2]).add(zeros([3])), /^add\(\[2\] float32, \[3\] float32, 1\): The size of tensor a \(2\) must match the size of tensor b \(3\)/);
    fails(() => zeros([2, 2, 3]).bmm(zeros([3, 3, 2])), /^bmm\(\[2, 2, 3\] float32, \[3, 3, 2\] float32\)/);
  }));

test('mismatched dtypes name both dtypes', () =>
  tidy(() => {
    fails(() => zeros([2, 2]).mm(zeros([2, 2], { dtype: 'float64' })), /^mm\(\[2, 2\] float32, \[2, 2\] float64\)/, /dtype|scalar type/);
    fails(() => F.conv2d(zeros([1, 1, 3, 3], { dtype: 'int64' }), zeros([1, 1, 3, 3])), /^conv2d\(\[1, 1, 3, 3\] int64, \[1, 1, 3, 3\] float32/);
    fails(() => zeros([3]).indexSelect(0, zeros([1])), /^indexSelect\(\[3\] float32, 0, \[1\] float32\)/, /int|Long/i);
  }));

test('conv2d with a channel mismatch', () =>
  tidy(() => {
    fails(
      () => F.conv2d(zeros([1, 3, 5, 5]), zeros([4, 2, 3, 3])),
      /^conv2d\(\[1, 3, 5, 5\] float32, \[4, 2, 3, 3\] float32, none, \[1, 1\], \[0, 0\], \[1, 1\], 1\)/,
      /expected input\[1, 3, 5, 5\] to have 2 channels, but got 3/,
    );
    fails(() => F.conv2d(zeros([3, 5, 5, 2, 1]), zeros([4, 3, 3, 3])), /^conv2d\(\[3, 5, 5, 2, 1\] float32/);
    fails(() => F.conv2d(zeros([1, 1, 2, 2]), zeros([1, 1, 3, 3])), /^conv2d/, /kernel size can't be greater than actual input size/i);
  }));

test('reshape and view to a wrong number of elements; bad shape arguments are TypeErrors', () =>
  tidy(() => {
    fails(() => tensor([1, 2, 3]).reshape(2, 2), /^reshape\(\[3\] float32, \[2, 2\]\): shape '\[2, 2\]' is invalid for input of size 3/);
    fails(() => zeros([6]).view(4, -1), /^view\(\[6\] float32, \[4, -1\]\)/);
    const e = fails(() => zeros([6]).reshape(1.5, 4), /^reshape\(\[6\] float32, \[1.5, 4\]\): expected an array of integers, got 1.5 at position 0/);
    assert.ok(e instanceof TypeError);
    fails(() => zeros([6]).reshape(['a'] as never), /^reshape\(\[6\] float32, \['a'\]\): expected an array of integers, got 'a'/);
    fails(() => zeros([6]).transpose(0, 1), /^transpose\(\[6\] float32, 0, 1\): Dimension out of range/);
    fails(() => zeros([2, 3]).select(1, 3), /^select\(\[2, 3\] float32, 1, 3\): .*out of range/);
    fails(() => zeros([2, 3]).narrow(1, 2, 2), /^narrow\(\[2, 3\] float32, 1, 2, 2\)/);
    fails(() => zeros([2, 3]).expand(3, 3), /^expand\(\[2, 3\] float32, \[3, 3\]\)/);
  }));

test('cat and stack of mismatched tensors', () =>
  tidy(() => {
    fails(() => cat([tensor([[1, 2]]), tensor([[1, 2, 3]])]), /^cat\(\[\[1, 2\] float32, \[1, 3\] float32\], 0\): Sizes of tensors must match except in dimension 0/);
    fails(() => cat([]), /^cat\(\[\], 0\)/);
    fails(() => cat([zeros([2]), zeros([2])], 3), /^cat\(\[\[2\] float32, \[2\] float32\], 3\)/, /out of range/);
  }));

test('indexing out of range: indexSelect, gather, index, oneHot', () =>
  tidy(() => {
    const I64 = { dtype: 'int64' } as const;
    fails(() => tensor([1, 2, 3]).indexSelect(0, tensor([5], I64)), /^indexSelect\(\[3\] float32, 0, \[1\] int64\): index out of range/);
    fails(() => tensor([1, 2, 3]).gather(0, tensor([3], I64)), /^gather\(\[3\] float32, 0, \[1\] int64\)/, /out of bounds/);
    fails(() => zeros([2, 2]).index([tensor([2], I64)]), /^index\(\[2, 2\] float32, \[\[1\] int64\]\): index 2 is out of bounds/);
    fails(() => F.oneHot(tensor([0, 3], I64), 3), /^oneHot\(\[2\] int64, 3\): Class values must be smaller than num_classes/);
  }));

test('crossEntropy with targets of the wrong shape or dtype', () =>
  tidy(() => {
    fails(() => F.crossEntropy(zeros([2, 3]), zeros([2, 4])), /^crossEntropy: target \[2, 4\] float32 does not fit logits \[2, 3\]/, /probabilities of shape \[2, 3\]/);
    fails(() => F.crossEntropy(zeros([2, 3]), zeros([2])), /target \[2\] float32 does not fit logits \[2, 3\]: expected int64 class indices of shape \[2\]/);
    fails(() => F.crossEntropy(zeros([2, 3]), zeros([3], { dtype: 'int64' })), /target \[3\] int64 does not fit logits \[2, 3\]/);
    fails(() => F.crossEntropy(zeros([2, 3]), zeros([2], { dtype: 'int32' })), /target \[2\] int32 does not fit/);
    fails(() => F.crossEntropy(zeros([2, 3]), tensor([0, 3], { dtype: 'int64' })), /^crossEntropy\(\[2, 3\] float32, \[2\] int64, .*\): Target 3 is out of bounds/);
    fails(() => F.crossEntropy(zeros([2, 3]), zeros([2], { dtype: 'int64' }), { labelSmoothing: 1.5 }), /labelSmoothing must be in \[0, 1\], got 1.5/);
  }));

test('fromBytes and tensor() with the wrong amount of data', () =>
  tidy(() => {
    fails(() => fromBytes(new Uint8Array(7), [2], 'float32'), /^fromBytes: got 7 bytes but shape \[2\] of float32 needs 8 bytes$/);
    fails(() => fromBytes(new Uint8Array(8), [3], 'int64'), /got 8 bytes but shape \[3\] of int64 needs 24 bytes/);
    // The native check also counts bytes when given raw bytes.
    fails(() => N.fromData(new Uint8Array(6), [2], 5, 5, null), /^fromData\(.*\): data holds 6 bytes but shape \[2\] of int32 needs 8 bytes/);
    fails(() => tensor(new Float64Array(3), { shape: [2, 2] }), /data holds 3 values but shape \[2, 2\] of float64 needs 4 values/);
    fails(() => tensor(new Float32Array(0), { shape: [-1] }), /negative dimension/);
  }));

test('using a disposed tensor names the op and the shape the tensor had', () => {
  const t = tensor([1, 2]);
  t.dispose();
  assert.equal(t.isDisposed, true);
  fails(() => t.add(1), /^add\(<disposed \[2\] float32>, 1, 1\): tensor was disposed/);
  fails(() => zeros([2]).mul(t), /^mul\(\[2\] float32, <disposed \[2\] float32>\): tensor was disposed/);
  fails(() => t.shape, /^shape\(<disposed \[2\] float32>\): tensor was disposed/);
  fails(() => t.data(), /tensor was disposed/);
  const inner = tidy(() => {
    const a = ones([3, 1], { dtype: 'int64' });
    return { a, b: a.add(1) };
  }).b;
  const dropped = tidy(() => {
    const x = zeros([4]);
    x.add(1);
    return [x];
  });
  tidy(() => assert.equal(inner.sum().item(), 6));
  dropped[0]!.dispose();
  fails(() => cat([dropped[0]!, zeros([4])]), /^cat\(\[<disposed \[4\] float32>, \[4\] float32\], 0\): tensor was disposed/);
  inner.dispose();
});

test('unknown dtypes and dtype codes', () =>
  tidy(() => {
    fails(() => zeros([2], { dtype: 'float128' as DType }), /unknown dtype 'float128'; expected one of float32, float64/);
    fails(() => tensor([1]).to({ dtype: 'complex64' as DType }), /unknown dtype 'complex64'/);
    // Codes the declarations rule out, given to the binding itself.
    const e = fails(() => N.zeros([2], 42 as never, null), /^zeros\(\[2\], 42, none\): unknown dtype code 42; codes are 0..7/);
    assert.ok(e instanceof TypeError);
    fails(() => N.zeros([2], 1.5 as never, null), /unknown dtype code 1.5/);
    fails(() => N.zeros([2], 'float32' as never, null), /expected a dtype code, got 'float32'/);
  }));

test('bad device strings', () =>
  tidy(() => {
    // Device strings the Device type rules out, as a JS caller could still pass them.
    fails(() => tensor([1]).to('cuda:x' as never), /^to\(\[1\] float32, none, 'cuda:x', false\): unknown device 'cuda:x'; expected 'cpu', 'cuda' or 'cuda:N'/);
    fails(() => tensor([1]).to('tpu' as never), /unknown device 'tpu'/);
    fails(() => tensor([1]).to({ device: 'gpu' as never }), /unknown device 'gpu'/);
    fails(() => zeros([2], { device: 'tpu' as never }), /^zeros\(\[2\], 0, 'tpu'\): unknown device 'tpu'/);
    fails(() => tensor([1], { device: 'cuda:' as never }), /unknown device 'cuda:'/);
    if (!cuda.isAvailable()) fails(() => tensor([1]).to('cuda:0'), /^to\(\[1\] float32, none, 'cuda:0', false\): .*cuda/i);
  }));

test('bad reduction names and option values', () =>
  tidy(() => {
    const e = fails(() => F.mseLoss(zeros([2]), zeros([2]), 'avg' as never), /^mseLoss: reduction must be 'none', 'mean' or 'sum', got 'avg'/);
    assert.ok(e instanceof TypeError);
    fails(() => F.crossEntropy(zeros([2, 3]), zeros([2], { dtype: 'int64' }), { reduction: 'all' as never }), /^crossEntropy: reduction must be/);
    fails(() => F.nllLoss(zeros([2, 3]), zeros([2], { dtype: 'int64' }), { reduction: 'max' as never }), /^nllLoss: reduction must be/);
    fails(() => F.interpolate(zeros([1, 1, 2, 2]), [3, 3], 'bicubic' as never), /^interpolate\(.*\): interpolate mode must be 'bilinear' or 'nearest', got 'bicubic'/);
    fails(() => F.gridSample(zeros([1, 1, 2, 2]), zeros([1, 2, 2, 2]), { mode: 'cubic' as never }), /gridSample mode must be/);
    fails(() => F.pad(zeros([1, 1, 2]), [1, 1], 'mirror' as never), /^pad\(/);
    fails(() => F.dropout(zeros([2]), 1.5), /dropout probability must be in \[0, 1\], got 1.5/);
  }));

test('autograd misuse: backward of a non-scalar without gradient, of a tensor without grad, a grad of the wrong shape', () =>
  tidy(() => {
    const x = tensor([1, 2], { requiresGrad: true });
    fails(() => x.mul(2).backward(), /^backward\(\[2\] float32, none, false\): grad can be implicitly created only for scalar outputs/);
    fails(() => zeros([1]).sum().backward(), /^backward\(\[\] float32.*does not require grad/);
    fails(() => (x.grad = zeros([3])), /^setGrad\(\[2\] float32, \[3\] float32\): the gradient must have the tensor's shape/);
    fails(() => tensor([1, 2]).item(), /^item\(\[2\] float32\): item\(\) needs a tensor with one element, got 2/);
  }));

test('a failing op leaks no tensors', () => {
  const before = memory().liveTensors;
  tidy(() => {
    for (let i = 0; i < 20; i++) {
      assert.throws(() => zeros([2, 3]).mm(zeros([2, 3])));
      assert.throws(() => F.crossEntropy(zeros([2, 3]), zeros([2])));
    }
  });
  assert.equal(memory().liveTensors, before);
});

test('no argument from JS aborts the process: every binding called with wrong arguments throws an Error or returns', () => {
  // State-changing bindings are left out; everything else gets garbage and mismatched handles,
  // through an untyped view of the addon (the arguments are what its declarations rule out).
  const untyped = N as unknown as Readonly<Record<string, (...args: unknown[]) => unknown>>;
  const skip = new Set(['setGradEnabled', 'setNumThreads', 'manualSeed']);
  const garbage: unknown[] = [undefined, null, 1.5, -1, 1e12, 'x', {}, [], [-5], [1e15], true, NaN];
  let calls = 0;
  tidy(() => {
    for (const [name, fn] of Object.entries(untyped)) {
      if (skip.has(name)) continue;
      const hs = [tensor([[1, 2], [3, 4]]).handle, zeros([2, 3, 4, 4]).handle, arange(3).handle];
      const variants: unknown[][] = [[]];
      for (const g of garbage) variants.push([g], [hs[0], g], [hs[0], g, g], [hs[1], g, g, g, g, g, g, g]);
      for (const h of hs) variants.push([h], [h, h], [h, h, h], [h, 0, h, h], [h, [h, h], 0]);
      for (const args of variants) {
        calls++;
        try {
          fn(...args);
        } catch (e) {
          assert.ok(e instanceof Error, `${name}: threw a non-Error ${String(e)}`);
          assert.ok(e.message.length > 0, `${name}: empty message`);
        }
      }
    }
  });
  assert.ok(calls > 5000);
  assert.equal(N.isGradEnabled(), true);
  tidy(() => assert.deepEqual(tensor([[1, 2]]).mm(tensor([[3], [4]])).tolist(), [[11]]));
});
