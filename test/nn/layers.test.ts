import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, randn, ones, arange, tidy, noGrad, manualSeed, type Tensor } from '../../src/engine/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose } from '../helpers/assert.js';

manualSeed(2);

const flat = (t: Tensor): number[] => Array.from(t.data() as Float32Array | Float64Array);

test('BatchNorm2d: one training forward updates running stats as by hand (momentum 0.1, unbiased var); eval uses them', () => {
  const bn = new nn.BatchNorm2d(3);
  noGrad(() => {
    bn.weight!.copy_(tensor([1.5, 0.5, 2]));
    bn.bias!.copy_(tensor([0.1, -0.2, 0.3]));
  });
  const [N, C, H, W] = [4, 3, 2, 2];
  const x = tidy(() => randn([N, C, H, W]).mul(2).add(1));
  const xs = flat(x);
  const at = (n: number, c: number, i: number) => xs[((n * C + c) * H * W) + i]!;
  const mean: number[] = [], varU: number[] = [], varB: number[] = [];
  for (let c = 0; c < C; c++) {
    const v: number[] = [];
    for (let n = 0; n < N; n++) for (let i = 0; i < H * W; i++) v.push(at(n, c, i));
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const ss = v.reduce((a, b) => a + (b - m) ** 2, 0);
    mean.push(m);
    varU.push(ss / (v.length - 1));
    varB.push(ss / v.length);
  }
  const yTrain = tidy(() => flat(bn.forward(x)));
  assertClose(flat(bn.runningMean!), mean.map((m) => 0.1 * m), 1e-5);
  assertClose(flat(bn.runningVar!), varU.map((v) => 0.9 + 0.1 * v), 1e-5);
  assert.equal(bn.numBatchesTracked!.item(), 1);
  const w = [1.5, 0.5, 2], b = [0.1, -0.2, 0.3];
  const expect = (stat: (c: number) => [number, number]) =>
    xs.map((v, idx) => {
      const c = Math.floor(idx / (H * W)) % C;
      const [m, s2] = stat(c);
      return ((v - m) / Math.sqrt(s2 + 1e-5)) * w[c]! + b[c]!;
    });
  assertClose(yTrain, expect((c) => [mean[c]!, varB[c]!]), 1e-4);
  bn.eval();
  const rm = flat(bn.runningMean!), rv = flat(bn.runningVar!);
  const yEval = tidy(() => flat(bn.forward(x)));
  assertClose(yEval, expect((c) => [rm[c]!, rv[c]!]), 1e-4);
  assert.equal(bn.numBatchesTracked!.item(), 1, 'eval does not count batches');
  assertClose(flat(bn.runningMean!), rm, 0);
  x.dispose();
  bn.dispose();
});

test('BatchNorm1d: momentum null is a cumulative average; trackRunningStats=false has no buffers', () => {
  const bn = new nn.BatchNorm1d(2, { momentum: null, affine: false });
  assert.deepEqual([...bn.stateDict().keys()], ['running_mean', 'running_var', 'num_batches_tracked']);
  tidy(() => bn.forward(tensor([[1, 10], [3, 20]])));
  tidy(() => bn.forward(tensor([[5, 30], [7, 40], [9, 50]])));
  // batch means [2, 15] and [7, 40]; cumulative average of the two
  assertClose(flat(bn.runningMean!), [4.5, 27.5], 1e-6);
  // unbiased variances [2, 50] and [4, 100]; running_var starts at 1 with factor 1 on the first batch
  assertClose(flat(bn.runningVar!), [3, 75], 1e-6);
  assert.throws(() => tidy(() => bn.forward(randn([2, 3]))), /expected 2 channels in dim 1/);
  assert.throws(() => tidy(() => bn.forward(randn([2, 2, 2, 2]))), /BatchNorm1d: expected 2D or 3D input/);
  bn.dispose();

  const free = new nn.BatchNorm2d(2, { trackRunningStats: false });
  assert.deepEqual([...free.stateDict().keys()], ['weight', 'bias']);
  free.eval();
  const y = tidy(() => flat(free.forward(tensor([[[[1]], [[2]]], [[[3]], [[6]]]]))));
  // batch statistics even in eval: channel 0 values 1, 3 -> -1, 1; channel 1 values 2, 6 -> -1, 1
  assertClose(y, [-1, -1, 1, 1], 1e-4);
  free.dispose();
});

test('Dropout: identity in eval; in training zeroes about p of the values and scales the rest by 1/(1-p)', () => {
  const d = new nn.Dropout(0.3);
  const x = ones([200, 500]);
  d.eval();
  const same = tidy(() => d.forward(x).eq(x).all().item());
  assert.equal(same, 1);
  d.train();
  const y = tidy(() => flat(d.forward(x)));
  const zeros = y.filter((v) => v === 0).length / y.length;
  assert.ok(Math.abs(zeros - 0.3) < 0.01, `fraction zeroed ${zeros}`);
  assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
  assert.throws(() => new nn.Dropout(1.5), /p must be in \[0, 1\]/);
  x.dispose();
});

test("Conv2d: 'same' keeps the size; values of a ones kernel by hand; bad input named", () => {
  for (const [k, dil] of [[3, 1], [5, 1], [3, 2]] as const) {
    const c = new nn.Conv2d(2, 4, k, { padding: 'same', dilation: dil });
    assert.deepEqual(tidy(() => c.forward(randn([1, 2, 7, 9])).shape), [1, 4, 7, 9]);
    c.dispose();
  }
  assert.throws(() => new nn.Conv2d(1, 1, 3, { padding: 'same', stride: 2 }), /'same' needs stride 1/);
  assert.throws(() => new nn.Conv2d(1, 1, 4, { padding: 'same' }), /odd kernels/);
  assert.throws(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), /divisible by groups/);
  const c = new nn.Conv2d(1, 1, 3, { padding: 'same' });
  noGrad(() => {
    c.weight.fill_(1);
    c.bias!.fill_(0.5);
  });
  // Each output is the number of in-image neighbours (3x3 window, zero padding) + bias.
  const y = tidy(() => c.forward(ones([1, 1, 3, 3])).tolist());
  assert.deepEqual(y, [[[[4.5, 6.5, 4.5], [6.5, 9.5, 6.5], [4.5, 6.5, 4.5]]]]);
  assert.throws(() => tidy(() => c.forward(randn([1, 2, 3, 3]))), /expected input \[N, 1, H, W\], got \[1, 2, 3, 3\]/);
  const g = new nn.Conv2d(4, 6, 3, { groups: 2, bias: false });
  assert.deepEqual(g.weight.shape, [6, 2, 3, 3]);
  assert.equal(g.bias, null);
  assert.deepEqual([...g.stateDict().keys()], ['weight']);
  c.dispose();
  g.dispose();
});

test('Linear: y = x W^T + b by hand', () => {
  const l = new nn.Linear(3, 2);
  noGrad(() => {
    l.weight.copy_(tensor([[1, 2, 3], [-1, 0, 1]]));
    l.bias!.copy_(tensor([0.5, -0.5]));
  });
  const y = tidy(() => l.forward(tensor([[1, 1, 1], [2, 0, -1]])).tolist());
  assert.deepEqual(y, [[6.5, -0.5], [-0.5, -3.5]]);
  assert.throws(() => tidy(() => l.forward(randn([2, 4]))), /expected input \[\.\.\., 3\], got \[2, 4\]/);
  l.dispose();
});

test('pooling, activations, flatten, identity', () => {
  const x = tidy(() => arange(25).float().reshape(1, 1, 5, 5));
  // 5x5 values 0..24; 2x2 max pooling takes the bottom-right of each window
  assert.deepEqual(tidy(() => new nn.MaxPool2d(2).forward(x).tolist()), [[[[6, 8], [16, 18]]]]);
  assert.deepEqual(tidy(() => new nn.MaxPool2d(2, { ceilMode: true }).forward(x).tolist()), [[[[6, 8, 9], [16, 18, 19], [21, 23, 24]]]]);
  assert.deepEqual(tidy(() => new nn.MaxPool2d(3, { stride: 2, padding: 1 }).forward(x).tolist()), [[[[6, 8, 9], [16, 18, 19], [21, 23, 24]]]]);
  assert.deepEqual(tidy(() => new nn.AvgPool2d(2).forward(x).tolist()), [[[[3, 5], [13, 15]]]]);
  assert.deepEqual(tidy(() => new nn.AdaptiveAvgPool2d(1).forward(x).tolist()), [[[[12]]]]);
  assert.throws(() => new nn.MaxPool2d(2, { padding: 2 }), /at most half the kernel/);
  const v = tensor([-2, -0.5, 0, 3]);
  assert.deepEqual(tidy(() => new nn.ReLU().forward(v).tolist()), [0, 0, 0, 3]);
  assert.deepEqual(tidy(() => new nn.LeakyReLU(0.1).forward(v).tolist()), [-0.2, -0.05, 0, 3].map(Math.fround));
  const inplace = tidy(() => v.clone());
  assert.equal(new nn.ReLU({ inplace: true }).forward(inplace), inplace);
  assert.deepEqual(inplace.tolist(), [0, 0, 0, 3]);
  assert.deepEqual(tidy(() => new nn.Flatten().forward(randn([2, 3, 4, 5])).shape), [2, 60]);
  assert.deepEqual(tidy(() => new nn.Flatten(0, 1).forward(randn([2, 3, 4])).shape), [6, 4]);
  assert.equal(new nn.Identity().forward(v), v);
  for (const t of [x, v, inplace]) t.dispose();
});

test('LocalResponseNorm matches the formula b_c = a_c / (k + alpha/n * sum a^2)^beta over neighbouring channels', () => {
  const [size, alpha, beta, k] = [3, 0.5, 0.75, 2];
  const x = tidy(() => randn([2, 4, 2, 3]));
  const xs = flat(x);
  const [N, C, S] = [2, 4, 6];
  const expected = xs.map((a, idx) => {
    const n = Math.floor(idx / (C * S)), c = Math.floor(idx / S) % C, s = idx % S;
    let sum = 0;
    // PyTorch's window: channels c - floor(size/2) .. c + floor((size-1)/2)
    for (let j = c - Math.floor(size / 2); j <= c + Math.floor((size - 1) / 2); j++) {
      if (j >= 0 && j < C) sum += xs[(n * C + j) * S + s]! ** 2;
    }
    return a / (k + (alpha / size) * sum) ** beta;
  });
  assert.equal(N * C * S, xs.length);
  assertClose(tidy(() => flat(new nn.LocalResponseNorm(size, alpha, beta, k).forward(x))), expected, 1e-5);
  x.dispose();
});

test('Sequential chains forward and can be extended; toString lists children', () => {
  const s = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
  s.append(new nn.Linear(3, 1));
  assert.equal(s.length, 3);
  assert.deepEqual([...s.namedChildren()].map(([n]) => n), ['0', '1', '2']);
  assert.deepEqual(tidy(() => s.forward(randn([5, 2])).shape), [5, 1]);
  // Forward equals applying the children by hand.
  const x = tidy(() => randn([4, 2]));
  const a = tidy(() => flat(s.forward(x)));
  const b = tidy(() => flat([...s].reduce((h, m) => m.forward(h), x)));
  assert.deepEqual(a, b);
  assert.match(String(s), /^Sequential\(\n {2}\(0\): Linear\(inFeatures=2, outFeatures=3, bias=true\)\n {2}\(1\): ReLU\(\)/);
  assert.throws(() => new nn.Sequential({} as nn.Module), /argument 0 is not a Module/);
  x.dispose();
  s.dispose();
});

test('updateBatchNormStats: running stats become the per-batch average of batch means and unbiased variances', async () => {
  const bnA = new nn.BatchNorm2d(2);
  const bnB = new nn.BatchNorm2d(2, { momentum: 0.3 });
  const net = new nn.Sequential(bnA, bnB);
  net.train();
  tidy(() => void net.forward(randn([4, 2, 3, 3]).mul(5).add(7))); // stale statistics to be replaced
  const weight = bnA.weight!.clone();
  // Per channel, batch k's values are known numbers: channel 0 holds 1..18 (+ 10k), channel 1 twice that.
  const batches = [0, 1, 2].map((k) =>
    tensor(Float32Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => {
      const n = Math.floor(i / 18), c = Math.floor(i / 9) % 2, j = i % 9;
      return (c + 1) * (n * 9 + j + 1 + 10 * k);
    }), { shape: [2, 2, 3, 3] }));
  const seen = await nn.updateBatchNormStats(net, batches);
  assert.equal(seen, 3);
  // Values 1..18 shifted: mean 9.5 + 10k, unbiased variance 28.5 (same for every k); times (c + 1).
  assertClose(bnA.runningMean!.tolist(), [19.5, 39], 1e-5);
  assertClose(bnA.runningVar!.tolist(), [28.5, 114], 1e-4);
  assert.equal(Number(bnA.numBatchesTracked!.item()), 3);
  // bnB sees bnA's output, normalised by batch statistics (weight 1, bias 0): so mean 0 and unbiased variance
  // 18/17 x (1 / (1 + eps / biased var)) per batch.
  assertClose(bnB.runningMean!.tolist(), [0, 0], 1e-5);
  const v = (b: number) => (18 / 17) * (b / (b + 1e-5));
  assertClose(bnB.runningVar!.tolist(), [v(28.5 * 17 / 18), v(114 * 17 / 18)], 1e-5);
  assert.equal(bnA.momentum, 0.1);
  assert.equal(bnB.momentum, 0.3);
  assert.equal(net.training, false);
  assertClose(bnA.weight!.tolist(), weight.tolist(), 0);
  assert.ok(batches.every((b) => b.isDisposed), 'inputs are disposed');
  await assert.rejects(nn.updateBatchNormStats(net, []), /no input batches/);
  assertClose(bnA.runningMean!.tolist(), [19.5, 39], 1e-5); // unchanged by an empty pass
  [weight].forEach((t) => t.dispose());
  net.dispose();
});
