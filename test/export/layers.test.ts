// Layers the zoo nets do not all use, exported in small networks and run by onnxruntime:
// local response norm, average pooling in ceil mode with padding, leaky ReLU, dilated and
// grouped convolutions, 'same' padding, BatchNorm without affine parameters; and the errors for
// what has no ONNX mapping, each naming the layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, type Tensor } from '../../src/engine/index.js';
import * as nn from '../../src/nn/index.js';
import { onnxModel, windowOut } from '../../src/export/index.js';
import { assertRelClose, images, perturbBatchNorm, runOrt, values } from './ort.js';

const spec = (shape: [number, number, number]) => ({ arch: 'test', inputShape: shape, normalization: { kind: 'dataset' as const, mean: [0.5], std: [0.25] }, tap: null, pool: null });

async function check(net: nn.Module, shape: [number, number, number], what: string): Promise<void> {
  perturbBatchNorm(net);
  net.eval();
  const m = onnxModel(net, spec(shape));
  for (const b of [1, 3]) {
    const x = images([b, ...shape], b);
    try {
      const want = values(() => net.forward(x.t.sub(0.5).div(0.25)));
      const got = await runOrt(m.bytes, x.data, [b, ...shape]);
      assert.equal(got.data.length, want.length, what);
      assertRelClose(got.data, want, 1e-4, `${what}, batch ${b}`);
    } finally {
      x.t.dispose();
    }
  }
  net.dispose();
}

test('LRN, ceil-mode average pooling with padding, leaky ReLU, dilated, grouped and same-padded convolutions', async () => {
  manualSeed(2);
  await check(new nn.Sequential(
    new nn.Conv2d(2, 8, 3, { padding: 'same' }),
    new nn.LocalResponseNorm(5, 1e-2, 0.75, 2),
    new nn.LeakyReLU(0.1),
    new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
    new nn.Conv2d(8, 8, 3, { dilation: 2, groups: 4, padding: 2 }),
    new nn.BatchNorm2d(8, { affine: false }),
    new nn.AvgPool2d(2, { ceilMode: true, countIncludePad: false }),
    new nn.MaxPool2d(2, { stride: 1, ceilMode: true }),
    new nn.Flatten(),
    new nn.Dropout(0.5),
    new nn.Linear(8 * 2 * 2, 5),
    new nn.BatchNorm1d(5),
  ), [2, 11, 11], 'mixed layers');
});

class Swish extends nn.Module {
  forward(x: Tensor): Tensor {
    return x.mul(x.sigmoid());
  }
}

test('what has no ONNX mapping is refused, naming the layer', () => {
  const refuse = (net: nn.Module, shape: [number, number, number], message: RegExp) => {
    assert.throws(() => onnxModel(net, spec(shape)), message);
    net.dispose();
  };
  refuse(new nn.Sequential(new nn.Conv2d(1, 2, 3), new Swish()), [1, 8, 8], /layer 1 \(Swish\): has no ONNX mapping/);
  refuse(new nn.Sequential(new nn.LocalResponseNorm(4)), [1, 8, 8], /layer 0 \(LocalResponseNorm\): an even size \(4\)/);
  refuse(new nn.Sequential(new nn.BatchNorm2d(1, { trackRunningStats: false })), [1, 8, 8], /layer 0 \(BatchNorm2d\): has no running statistics/);
  refuse(new nn.Sequential(new nn.AdaptiveAvgPool2d(3)), [1, 8, 8], /layer 0 \(AdaptiveAvgPool2d\): pooling a 8x8 map to 3x3/);
  // PyTorch drops a last ceil-mode window that starts in the right padding; ONNX (opset 17) keeps it.
  assert.equal(windowOut(5, 2, 2, 1, 1, true), 3);
  refuse(new nn.Sequential(new nn.MaxPool2d(2, { stride: 2, padding: 1, ceilMode: true })), [1, 5, 5], /layer 0 \(MaxPool2d\): in ceil mode on a 5x5 input/);
  refuse(new nn.Sequential(new nn.Flatten(), new nn.Linear(10, 2)), [1, 8, 8], /layer 1 \(Linear\): expects \[batch, 10\], gets \[batch, 64\]/);
});
