// Values of the nn functions (F) on small inputs worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, arange, ones, zeros, manualSeed, F } from '../../src/engine/index.js';
import { assertClose } from '../helpers/assert.js';

const img = (rows: number[][]) => tensor([[rows]]); // [1, 1, H, W]

test('conv2d by hand: plain, with bias, with stride 2 and padding 1', () =>
  tidy(() => {
    const x = img([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    const w = img([[1, 2], [3, 4]]);
    assertClose(F.conv2d(x, w).tolist(), [[[[37, 47], [67, 77]]]]);
    assertClose(F.conv2d(x, w, tensor([0.5])).tolist(), [[[[37.5, 47.5], [67.5, 77.5]]]]);
    // padded windows: (0,0) sees only x00*w11; (0,1) x01*w10 + x02*w11; (1,0) x10*w01 + x20*w11
    assertClose(F.conv2d(x, w, null, { stride: 2, padding: 1 }).tolist(), [[[[4, 18], [36, 77]]]]);
    // 'same' padding keeps the size for odd kernels
    assert.deepEqual(F.conv2d(x, ones([2, 1, 3, 3]), null, { padding: 'same' }).shape, [1, 2, 3, 3]);
    assertClose(F.conv2d(x, ones([1, 1, 3, 3]), null, { padding: 'same' }).tolist(), [[[[12, 21, 16], [27, 45, 33], [24, 39, 28]]]]);
    assert.throws(() => F.conv2d(x, ones([1, 1, 2, 2]), null, { padding: 'same' }), /'same' needs odd kernels/);
  }));

test('channels-last tensors: layout, same values through conv2d', () =>
  tidy(() => {
    const x = arange(120, undefined, 1, { dtype: 'float32' }).reshape(2, 3, 4, 5);
    const cl = x.contiguous('channelsLast');
    assert.equal(cl.isChannelsLast(), true);
    assert.deepEqual(cl.shape, [2, 3, 4, 5]);
    assert.deepEqual(cl.stride(), [60, 1, 15, 3]);
    assert.deepEqual(cl.tolist(), x.tolist());
    const w = arange(54, undefined, 1, { dtype: 'float32' }).reshape(2, 3, 3, 3).div(50);
    assertClose(F.conv2d(cl, w.contiguous('channelsLast'), null, { padding: 1 }).tolist(), F.conv2d(x, w, null, { padding: 1 }).tolist(), 1e-5);
  }));

test('linear, pooling, adaptive pooling', () =>
  tidy(() => {
    assertClose(F.linear(tensor([[1, 2]]), tensor([[1, 1], [2, -1]]), tensor([0.5, 0])).tolist(), [[3.5, 0]]);
    assertClose(F.linear(tensor([1, 2]), tensor([[1, 1]])).tolist(), [3]);
    const x = arange(16, undefined, 1, { dtype: 'float32' }).reshape(1, 1, 4, 4);
    assertClose(F.maxPool2d(x, 2).tolist(), [[[[5, 7], [13, 15]]]]);
    assertClose(F.avgPool2d(x, 2).tolist(), [[[[2.5, 4.5], [10.5, 12.5]]]]);
    assertClose(F.maxPool2d(x, 3, { stride: 2, padding: 1 }).tolist(), [[[[5, 7], [13, 15]]]]);
    // ceil mode adds a last partial window: 3x3 -> 2x2
    const y = arange(9, undefined, 1, { dtype: 'float32' }).reshape(1, 1, 3, 3);
    assertClose(F.maxPool2d(y, 2, { ceilMode: true }).tolist(), [[[[4, 5], [7, 8]]]]);
    assertClose(F.maxPool2d(y, 2).tolist(), [[[[4]]]]);
    // padding counted or not in the average: corner window of 3x3/pad 1 sees 4 values
    assertClose(F.avgPool2d(y, 3, { stride: 3, padding: 1 }).tolist(), [[[[(0 + 1 + 3 + 4) / 9]]]]);
    assertClose(F.avgPool2d(y, 3, { stride: 3, padding: 1, countIncludePad: false }).tolist(), [[[[(0 + 1 + 3 + 4) / 4]]]]);
    assertClose(F.adaptiveAvgPool2d(x, 1).tolist(), [[[[7.5]]]]);
    assertClose(F.adaptiveAvgPool2d(x, [2, 1]).tolist(), [[[[3.5], [11.5]]]]);
    assertClose(F.adaptiveMaxPool2d(x, [1, 2]).tolist(), [[[[13, 15]]]]);
  }));

test('batchNorm: training uses batch statistics and updates running ones; eval uses running ones', () =>
  tidy(() => {
    const x = tensor([[1], [2], [3], [4]]); // N = 4, C = 1: mean 2.5, biased var 1.25, unbiased 5/3
    const rm = zeros([1]), rv = ones([1]);
    const w = tensor([2]), b = tensor([0.5]);
    const eps = 1e-5;
    const yt = F.batchNorm(x, rm, rv, { weight: w, bias: b, training: true, momentum: 0.1, eps });
    assertClose(yt.tolist(), [1, 2, 3, 4].map((v) => [((v - 2.5) / Math.sqrt(1.25 + eps)) * 2 + 0.5]), 1e-5);
    assertClose(rm.tolist(), [0.25], 1e-6);
    assertClose(rv.tolist(), [0.9 + 0.1 * (5 / 3)], 1e-6);
    const ye = F.batchNorm(x, rm, rv, { weight: w, bias: b, training: false, eps });
    const s = Math.sqrt(0.9 + 0.1 * (5 / 3) + eps);
    assertClose(ye.tolist(), [1, 2, 3, 4].map((v) => [((v - 0.25) / s) * 2 + 0.5]), 1e-5);
    assertClose(rm.tolist(), [0.25], 1e-6); // eval leaves the running statistics alone
    // [N, C, H, W]: statistics per channel over N, H, W
    const x4 = tensor([[[[1, 3]], [[10, 10]]]]); // channel 0: 1, 3; channel 1: 10, 10
    assertClose(F.batchNorm(x4, null, null, { training: true, eps: 0 }).tolist(), [[[[-1, 1]], [[0, 0]]]], 1e-6);
  }));

test('layerNorm, activations', () =>
  tidy(() => {
    const v = 2 / 3;
    assertClose(F.layerNorm(tensor([[1, 2, 3]]), [3]).tolist(), [[-1 / Math.sqrt(v + 1e-5), 0, 1 / Math.sqrt(v + 1e-5)]], 1e-5);
    assertClose(F.leakyRelu(tensor([-2, 3]), 0.1).tolist(), [-0.2, 3]);
    assertClose(F.relu(tensor([-2, 3])).tolist(), [0, 3]);
    // gelu(x) = x * Phi(x); Phi(1) = 0.841344746
    assertClose(F.gelu(tensor([0, 1, -1])).tolist(), [0, 0.841344746, -0.158655254], 1e-6);
    assertClose(F.sigmoid(tensor([0])).tolist(), [0.5]);
  }));

test('dropout: identity when p = 0 or not training; zeros about p of the values and scales the rest by 1/(1-p)', () =>
  tidy(() => {
    const x = ones([10000]);
    assert.deepEqual(F.dropout(x, 0).tolist(), x.tolist());
    assert.deepEqual(F.dropout(x, 0.5, false).tolist(), x.tolist());
    manualSeed(0);
    const d = F.dropout(x, 0.25).data() as Float32Array;
    const zerosN = d.filter((v) => v === 0).length;
    assert.ok(d.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
    assert.ok(Math.abs(zerosN / d.length - 0.25) < 0.02, `zero fraction ${zerosN / d.length}`);
    assert.deepEqual(F.dropout(x, 1).sum().item(), 0);
  }));

test('losses: mseLoss, nllLoss, binaryCrossEntropyWithLogits', () =>
  tidy(() => {
    assertClose(F.mseLoss(tensor([1, 2]), tensor([3, 5])).item(), 6.5);
    assertClose(F.mseLoss(tensor([1, 2]), tensor([3, 5]), 'sum').item(), 13);
    assertClose(F.mseLoss(tensor([1, 2]), tensor([3, 5]), 'none').tolist(), [4, 9]);
    const logp = tensor([[-1, -2], [-3, -0.5]]);
    const t = tensor([1, 0], { dtype: 'int64' });
    assertClose(F.nllLoss(logp, t).item(), 2.5);
    assertClose(F.nllLoss(logp, t, { weight: tensor([1, 3]) }).item(), (3 * 2 + 1 * 3) / 4);
    assertClose(F.nllLoss(logp, t, { reduction: 'none' }).tolist(), [2, 3]);
    assertClose(
      F.binaryCrossEntropyWithLogits(tensor([0, 2]), tensor([1, 0])).item(),
      (Math.LN2 + Math.log(1 + Math.exp(2))) / 2,
      1e-6,
    );
  }));

test('interpolate: nearest repeats pixels; bilinear with and without aligned corners', () =>
  tidy(() => {
    assertClose(F.interpolate(img([[1, 2], [3, 4]]), [4, 4]).tolist(), [[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]);
    assertClose(F.interpolate(img([[0, 1]]), [1, 3], 'bilinear', true).tolist(), [[[[0, 0.5, 1]]]]);
    // source x = (dst + 0.5) / 2 - 0.5, clamped to [0, 1]: -0.25, 0.25, 0.75, 1.25
    assertClose(F.interpolate(img([[0, 1]]), [1, 4], 'bilinear').tolist(), [[[[0, 0.25, 0.75, 1]]]]);
    assertClose(F.interpolate(img([[0, 4], [8, 12]]), [3, 3], 'bilinear', true).tolist(), [[[[0, 2, 4], [4, 6, 8], [8, 10, 12]]]]);
  }));

test('affineGrid and gridSample: identity grid coordinates, identity and mirror sampling', () =>
  tidy(() => {
    const id = tensor([[[1, 0, 0], [0, 1, 0]]]);
    const g = F.affineGrid(id, [1, 1, 2, 3]);
    assert.deepEqual(g.shape, [1, 2, 3, 2]);
    // pixel centres: x = (2j + 1) / W - 1, y = (2i + 1) / H - 1
    assertClose(g.tolist(), [[[[-2 / 3, -0.5], [0, -0.5], [2 / 3, -0.5]], [[-2 / 3, 0.5], [0, 0.5], [2 / 3, 0.5]]]], 1e-6);
    assertClose(F.affineGrid(id, [1, 1, 2, 2], true).tolist(), [[[[-1, -1], [1, -1]], [[-1, 1], [1, 1]]]]);
    const x = img([[1, 2, 3], [4, 5, 6]]);
    assertClose(F.gridSample(x, g).tolist(), x.tolist(), 1e-6);
    const mirror = F.affineGrid(tensor([[[-1, 0, 0], [0, 1, 0]]]), [1, 1, 2, 3]);
    assertClose(F.gridSample(x, mirror).tolist(), [[[[3, 2, 1], [6, 5, 4]]]], 1e-6);
    // halfway between pixel centres 1 and 2 of the first row: x = -1/3, y = -0.5
    assertClose(F.gridSample(x, tensor([[[[-1 / 3, -0.5]]]])).tolist(), [[[[1.5]]]], 1e-6);
    // outside: zeros padding gives 0, border padding the edge value
    assertClose(F.gridSample(x, tensor([[[[-3, -0.5]]]])).tolist(), [[[[0]]]]);
    assertClose(F.gridSample(x, tensor([[[[-3, -0.5]]]]), { paddingMode: 'border' }).tolist(), [[[[1]]]]);
    assertClose(F.gridSample(x, tensor([[[[0.1, 0.4]]]]), { mode: 'nearest' }).tolist(), [[[[5]]]]);
  }));
