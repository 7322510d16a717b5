// Autograd: backward, gradient accumulation, detach, noGrad, retainGraph, and gradient
// checks of the nn functions against central finite differences in float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, noGrad, isGradEnabled, zeros, F, type Tensor } from '../../src/engine/index.js';
import { assertClose } from '../helpers/assert.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { uniform } from '../helpers/random.js';

/** A float64 tensor of the given shape with values uniform in [lo, hi) from a JS generator. */
const rnd = (shape: number[], seed: number, lo = -1, hi = 1): Tensor =>
  tensor(uniform(shape.reduce((a, b) => a * b, 1), seed, lo, hi), { shape });

test('backward of a scalar: d/dx sum(x^2 + 3x) = 2x + 3', () =>
  tidy(() => {
    const x = tensor([1, -2, 0.5], { requiresGrad: true });
    x.mul(x).add(x.mul(3)).sum().backward();
    assertClose(x.grad!.tolist(), [5, -1, 4]);
    assert.equal(x.isLeaf, true);
  }));

test('backward of a non-scalar needs a gradient and uses it as the vector in the vector-Jacobian product', () =>
  tidy(() => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(x); // dy/dx = 2x, diagonal
    assert.throws(() => y.backward(), /backward.*grad can be implicitly created only for scalar outputs/);
    y.backward(tensor([1, 0.5, -2]));
    assertClose(x.grad!.tolist(), [2, 2, -12]);
  }));

test('gradients accumulate over backward calls until zeroed with grad = null', () =>
  tidy(() => {
    const x = tensor([[1, 2]], { requiresGrad: true });
    x.mul(2).sum().backward();
    x.mul(2).sum().backward();
    assertClose(x.grad!.tolist(), [[4, 4]]);
    x.grad = null;
    assert.equal(x.grad, null);
    x.mul(x).sum().backward();
    assertClose(x.grad!.tolist(), [[2, 4]]);
    // A gradient can also be set, with the tensor's shape and dtype.
    x.grad = zeros([1, 2]);
    x.sum().backward();
    assertClose(x.grad!.tolist(), [[1, 1]]);
  }));

test('only floating-point tensors can require gradients; intermediate results are not leaves', () =>
  tidy(() => {
    assert.throws(() => tensor([1, 2], { dtype: 'int64', requiresGrad: true }), /setRequiresGrad.*floating point/);
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    assert.equal(y.requiresGrad, true);
    assert.equal(y.isLeaf, false);
    assert.equal(x.gradFn, null);
    assert.match(y.gradFn!, /Mul/);
  }));

test('detach gives a tensor outside the graph that shares the values', () =>
  tidy(() => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(3);
    const d = y.detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(d.gradFn, null);
    assertClose(d.tolist(), [3, 6]);
    // Shares storage: an in-place change of the detached tensor shows in y.
    d.add_(1);
    assertClose(y.detach().tolist(), [4, 7]);
    // Using the detached tensor gives no gradient to x.
    d.mul(x).sum().backward();
    assertClose(x.grad!.tolist(), [4, 7]);
  }));

test('noGrad records no graph and restores the previous mode, also after a throw', () =>
  tidy(() => {
    const x = tensor([1, 2], { requiresGrad: true });
    assert.equal(isGradEnabled(), true);
    const y = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      return x.mul(2).add(1).exp();
    });
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.equal(isGradEnabled(), true);
    assert.throws(() =>
      noGrad(() => {
        throw new Error('inside');
      }),
    );
    assert.equal(isGradEnabled(), true);
    // Nested: the inner scope leaves the outer one off.
    noGrad(() => {
      noGrad(() => undefined);
      assert.equal(isGradEnabled(), false);
    });
    assert.equal(x.mul(2).requiresGrad, true);
  }));

test('retainGraph keeps the graph for a second backward; without it the second backward throws', () =>
  tidy(() => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.exp().sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    assertClose(x.grad!.tolist(), [2 * Math.E, 2 * Math.exp(2)], 1e-6);
    const z = x.exp().sum();
    z.backward();
    assert.throws(() => z.backward(), /backward.*(second time|freed)/);
    // The process carries on.
    assertClose(x.mul(2).tolist(), [2, 4]);
  }));

// ---- gradient checks (float64, central differences, eps 1e-6) ----

test('gradcheck: conv2d with stride, padding, groups and bias', () => {
  const x = rnd([2, 4, 5, 5], 1), w = rnd([6, 2, 3, 3], 2), b = rnd([6], 3);
  const r = gradcheck('conv2d', (x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1, groups: 2 }), [x, w, b]);
  assert.equal(r.checked, 200 + 108 + 6);
  // Also dilation and a non-square stride, no bias.
  gradcheck('conv2d dilated', (x, w) => F.conv2d(x, w, null, { stride: [1, 2], padding: [2, 1], dilation: 2 }), [rnd([1, 2, 5, 6], 4), rnd([3, 2, 3, 2], 5)]);
});

test('gradcheck: linear on a 3-D input', () => {
  gradcheck('linear', (x, w, b) => F.linear(x, w, b), [rnd([2, 3, 4], 6), rnd([5, 4], 7), rnd([5], 8)]);
});

test('gradcheck: batchNorm in training mode with weight and bias', () => {
  gradcheck(
    'batchNorm',
    (x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true, eps: 1e-5 }),
    [rnd([4, 3, 2, 2], 9), rnd([3], 10, 0.5, 1.5), rnd([3], 11)],
  );
  // 2-D input (BatchNorm1d).
  gradcheck('batchNorm 2-D', (x, w) => F.batchNorm(x, null, null, { weight: w, training: true }), [rnd([5, 3], 12), rnd([3], 13)]);
});

test('gradcheck: pooling (max with padding and stride, avg without counting padding, adaptive avg)', () => {
  gradcheck('maxPool2d', (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }), [rnd([2, 2, 6, 5], 14)]);
  gradcheck('maxPool2d ceil', (x) => F.maxPool2d(x, 2, { ceilMode: true }), [rnd([1, 2, 5, 5], 15)]);
  gradcheck('avgPool2d', (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [rnd([2, 2, 5, 5], 16)]);
  gradcheck('avgPool2d', (x) => F.avgPool2d(x, 2), [rnd([1, 3, 4, 6], 17)]);
  gradcheck('adaptiveAvgPool2d', (x) => F.adaptiveAvgPool2d(x, [3, 2]), [rnd([2, 2, 5, 5], 18)]);
});

test('gradcheck: crossEntropy with class indices, label smoothing, class weights and probability targets', () => {
  const target = tensor([0, 2, 1, 2], { dtype: 'int64' });
  const weight = tensor([0.2, 1, 3], { dtype: 'float64' });
  const logits = rnd([4, 3], 19, -2, 2);
  gradcheck('crossEntropy', (z) => F.crossEntropy(z, target), [logits]);
  gradcheck('crossEntropy smoothing', (z) => F.crossEntropy(z, target, { labelSmoothing: 0.2 }), [logits]);
  gradcheck('crossEntropy weight', (z) => F.crossEntropy(z, target, { weight, labelSmoothing: 0.1 }), [logits]);
  gradcheck('crossEntropy sum', (z) => F.crossEntropy(z, target, { reduction: 'sum' }), [logits]);
  // Spatial logits [N, C, H, W] with targets [N, H, W].
  const t2 = tensor([[[0, 1], [2, 2]]], { dtype: 'int64' });
  gradcheck('crossEntropy spatial', (z) => F.crossEntropy(z, t2, { reduction: 'none' }), [rnd([1, 3, 2, 2], 20)]);
  // Probability targets: gradient with respect to both logits and targets.
  gradcheck('crossEntropy probabilities', (z, p) => F.crossEntropy(z, p), [logits, rnd([4, 3], 21, 0, 1)]);
});

test('gradcheck: interpolate bilinear (both corner conventions)', () => {
  gradcheck('interpolate', (x) => F.interpolate(x, [5, 7], 'bilinear'), [rnd([1, 2, 3, 4], 22)]);
  gradcheck('interpolate alignCorners', (x) => F.interpolate(x, [2, 3], 'bilinear', true), [rnd([2, 1, 4, 5], 23)]);
});

test('gradcheck: gridSample (bilinear) on an affineGrid, with respect to input and theta', () => {
  // Zoom-in crops with a small rotation. Bilinear sampling has kinks where a sample point
  // crosses a pixel centre; these thetas keep every sample point off them (checked by hand).
  const theta = tensor([[[0.6, 0.1, 0.05], [-0.15, 0.7, -0.1]], [[0.5, 0, 0.17], [0, 0.55, 0.1]]], { dtype: 'float64' });
  const x = rnd([2, 2, 5, 6], 24);
  gradcheck('gridSample', (x, th) => F.gridSample(x, F.affineGrid(th, [2, 2, 4, 3])), [x, theta]);
  gradcheck('gridSample border', (x, th) => F.gridSample(x, F.affineGrid(th, [2, 2, 3, 3], true), { paddingMode: 'border', alignCorners: true }), [x, theta]);
});

test('gradcheck: localResponseNorm (odd and even window)', () => {
  gradcheck('localResponseNorm', (x) => F.localResponseNorm(x, 3, 0.5, 0.75, 1), [rnd([2, 4, 2, 3], 25)]);
  gradcheck('localResponseNorm even', (x) => F.localResponseNorm(x, 2, 1, 0.6, 2), [rnd([1, 5, 2, 2], 26)]);
});

// ---- values against formulas computed in JS ----

/** LRN as in AlexNet / torch.nn.LocalResponseNorm: window c - floor(n/2) .. c + floor((n-1)/2), zeros outside. */
function lrnByHand(a: number[][][][], n: number, alpha: number, beta: number, k: number): number[][][][] {
  return a.map((img) =>
    img.map((plane, c) =>
      plane.map((row, y) =>
        row.map((v, x) => {
          let s = 0;
          for (let j = c - Math.floor(n / 2); j <= c + Math.floor((n - 1) / 2); j++) {
            if (j >= 0 && j < img.length) s += img[j]![y]![x]! ** 2;
          }
          return v / (k + (alpha / n) * s) ** beta;
        }),
      ),
    ),
  );
}

test('localResponseNorm values match the formula', () =>
  tidy(() => {
    const x = rnd([2, 5, 2, 3], 27, -2, 2);
    const a = x.tolist() as number[][][][];
    assertClose(F.localResponseNorm(x, 3, 0.5, 0.75, 1).tolist(), lrnByHand(a, 3, 0.5, 0.75, 1), 1e-12);
    assertClose(F.localResponseNorm(x, 4, 2, 0.6, 2).tolist(), lrnByHand(a, 4, 2, 0.6, 2), 1e-12);
    // float32 with AlexNet's defaults.
    assertClose(F.localResponseNorm(x.float(), 5, 1e-4, 0.75, 2).tolist(), lrnByHand(a, 5, 1e-4, 0.75, 2), 1e-6);
  }));

test('crossEntropy values with label smoothing and class weights match the formula', () =>
  tidy(() => {
    const z = [
      [1, 2, 0.5],
      [0.1, -1, 3],
      [2, 2, 2],
    ];
    const y = [1, 2, 0];
    const w = [0.5, 2, 1];
    const C = 3;
    const logp = z.map((r) => {
      const lse = Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
      return r.map((v) => v - lse);
    });
    // Per sample: (1 - e) * -w_y log p_y + e / C * sum_c -w_c log p_c ; mean divides by sum of w_y.
    const perSample = (e: number, wt: number[]) =>
      logp.map((lp, n) => (1 - e) * -wt[y[n]!]! * lp[y[n]!]! + (e / C) * lp.reduce((s, v, c) => s - wt[c]! * v, 0));
    const ones = [1, 1, 1];
    const logits = tensor(z, { dtype: 'float64' });
    const target = tensor(y, { dtype: 'int64' });
    const weight = tensor(w, { dtype: 'float64' });
    const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);

    assertClose(F.crossEntropy(logits, target).item(), sum(perSample(0, ones)) / 3, 1e-12);
    assertClose(F.crossEntropy(logits, target, { labelSmoothing: 0.1 }).item(), sum(perSample(0.1, ones)) / 3, 1e-12);
    assertClose(F.crossEntropy(logits, target, { labelSmoothing: 0.3, reduction: 'none' }).tolist(), perSample(0.3, ones), 1e-12);
    assertClose(F.crossEntropy(logits, target, { labelSmoothing: 0.3, reduction: 'sum' }).item(), sum(perSample(0.3, ones)), 1e-12);
    const wy = sum(y.map((c) => w[c]!));
    assertClose(F.crossEntropy(logits, target, { weight, labelSmoothing: 0.2 }).item(), sum(perSample(0.2, w)) / wy, 1e-12);
    // Probability targets: -sum_c p_c log q_c, mean over samples.
    const p = [
      [0.2, 0.8, 0],
      [0.3, 0.3, 0.4],
      [1, 0, 0],
    ];
    const soft = logp.map((lp, n) => -lp.reduce((s, v, c) => s + p[n]![c]! * v, 0));
    assertClose(F.crossEntropy(logits, tensor(p, { dtype: 'float64' })).item(), sum(soft) / 3, 1e-12);
    // ignoreIndex drops a sample from the mean.
    const t2 = tensor([1, -100, 0], { dtype: 'int64' });
    assertClose(F.crossEntropy(logits, t2).item(), (-logp[0]![1]! - logp[2]![0]!) / 2, 1e-12);
  }));
