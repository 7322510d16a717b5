import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, randint, tidy, manualSeed, noGrad, F } from '../../src/engine/index.js';
import { ARCHS, getArch, buildZooNet, ZooNet, alexnetS, vggS, resnet18, alexnet, vgg16 } from '../../src/models/index.js';
import { assertClose } from '../helpers/assert.js';

manualSeed(11);

// Parameter counts by layer arithmetic: conv k x k has cin*k*k*cout weights (+ cout bias),
// BatchNorm2d 2*c, fc i*o + o.
const conv = (cin: number, cout: number, k: number, bias = true) => cin * k * k * cout + (bias ? cout : 0);
const bn = (c: number) => 2 * c;
const fc = (i: number, o: number) => i * o + o;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

test('every arch builds, forward gives [B, classes], backward reaches every parameter', () => {
  for (const [name, info] of Object.entries(ARCHS)) {
    const net = info.build(7, 3);
    const [h, w] = info.inputSize;
    tidy(() => {
      const x = randn([2, 3, h, w]);
      const out = net.forward(x);
      assert.deepEqual(out.shape, [2, 7], name);
      F.crossEntropy(out, randint(0, 7, [2])).backward();
      for (const [k, p] of net.namedParameters()) {
        const g = p.grad;
        assert.ok(g !== null, `${name}: no gradient for ${k}`);
        assert.deepEqual(g.shape, p.shape, `${name}: ${k}`);
        const a = g.abs().sum().item();
        assert.ok(Number.isFinite(a) && a > 0, `${name}: gradient of ${k} is ${a}`);
      }
    });
    net.dispose();
  }
});

// alexnet_s by hand. conv (k5 p2 / k3 p1, stride 1) keeps the size; maxpool 3/2 pad 1 maps
// n -> floor((n + 2 - 3) / 2) + 1: 32 -> 16 -> 8 -> 4 and 9 -> 5 -> 3 -> 2.
test('alexnet_s taps at 32 px and 9 px', () => {
  const net = alexnetS(10, 3);
  const expected: Record<number, Record<string, number[]>> = {
    32: { conv1: [32, 32, 32], conv2: [64, 16, 16], conv3: [96, 8, 8], conv4: [96, 8, 8], conv5: [64, 8, 8], trunk: [64, 4, 4] },
    9: { conv1: [32, 9, 9], conv2: [64, 5, 5], conv3: [96, 3, 3], conv4: [96, 3, 3], conv5: [64, 3, 3], trunk: [64, 2, 2] },
  };
  assert.deepEqual([...net.tapNames], ['conv1', 'conv2', 'conv3', 'conv4', 'conv5']);
  for (const [size, exp] of Object.entries(expected)) {
    tidy(() => {
      const x = randn([3, 3, +size, +size]);
      const f = net.features(x, net.tapNames);
      for (const t of net.tapNames) assert.deepEqual(f.get(t)!.shape, [3, ...exp[t]!], `${t} at ${size} px`);
      assert.deepEqual(net.trunk.forward(x).shape, [3, ...exp.trunk!]);
      assert.deepEqual(net.forward(x).shape, [3, 10]);
    });
  }
  net.dispose();
});

// vgg_s by hand: 3x3 pad 1 convs keep the size; maxpool 2 ceil-mode maps n -> ceil(n / 2):
// 32 -> 16, 8, 4, 2, 1 and 9 -> 5, 3, 2, 1, 1. Block b's convs see the size before pool b.
test('vgg_s taps at 32 px and 9 px', () => {
  const net = vggS(10, 3);
  const widths = [16, 32, 64, 128, 128];
  const sizes: Record<number, number[]> = { 32: [32, 16, 8, 4, 2], 9: [9, 5, 3, 2, 1] };
  const names = [
    'conv1_1', 'conv1_2', 'conv1', 'conv2_1', 'conv2_2', 'conv2', 'conv3_1', 'conv3_2', 'conv3_3', 'conv3',
    'conv4_1', 'conv4_2', 'conv4_3', 'conv4', 'conv5_1', 'conv5_2', 'conv5_3', 'conv5',
  ];
  assert.deepEqual([...net.tapNames], names);
  assert.deepEqual(ARCHS.vgg_s!.taps, names);
  for (const [size, s] of Object.entries(sizes)) {
    tidy(() => {
      const x = randn([2, 3, +size, +size]);
      const f = net.features(x, names);
      for (const t of names) {
        const b = Number(t[4]) - 1;
        assert.deepEqual(f.get(t)!.shape, [2, widths[b]!, s[b]!, s[b]!], `${t} at ${size} px`);
      }
      assert.deepEqual(net.trunk.forward(x).shape, [2, 128, 1, 1]);
      assert.deepEqual(net.forward(x).shape, [2, 10]);
    });
  }
  net.dispose();
});

test('taps are the ReLU outputs the forward pass uses; order as asked; unknown names rejected', () => {
  const net = alexnetS(5, 1).eval();
  const vnet = vggS(5, 1).eval();
  tidy(() => {
    const x = randn([2, 1, 32, 32]);
    const f = net.features(x, ['conv5', 'conv1']);
    assert.deepEqual([...f.keys()], ['conv5', 'conv1']);
    for (const t of f.values()) assert.ok(t.min().item() >= 0, 'taps are after ReLU');
    // The trunk ends conv5 -> maxpool 3/2 pad 1.
    assertClose(net.trunk.forward(x).tolist(), F.maxPool2d(f.get('conv5')!, 3, { stride: 2, padding: 1 }).tolist(), 1e-6);
    // convB is convB_last: the same tensor values.
    const v = vnet.features(x, ['conv3_3', 'conv3', 'conv5']);
    assertClose(v.get('conv3')!.tolist(), v.get('conv3_3')!.tolist(), 0);
    assertClose(vnet.trunk.forward(x).tolist(), F.maxPool2d(v.get('conv5')!, 2, { ceilMode: true }).tolist(), 1e-6);
  });
  assert.throws(() => tidy(() => net.features(randn([1, 1, 9, 9]), ['conv6'])), /unknown feature tap 'conv6'; available: conv1, conv2, conv3, conv4, conv5/);
  net.dispose();
  vnet.dispose();
});

test('alexnet_s and vgg_s accept inputs from 9 px up to 64 px, non-square included', () => {
  for (const build of [alexnetS, vggS]) {
    const net = build(4, 3);
    for (const [h, w] of [[9, 9], [12, 12], [32, 32], [64, 64], [9, 32]] as const) {
      tidy(() => assert.deepEqual(net.forward(randn([2, 3, h, w])).shape, [2, 4], `${h}x${w}`));
    }
    net.dispose();
  }
});

test('resnet18 taps at 224 px (batch 1, eval)', () => {
  const net = resnet18(1000, 3).eval();
  tidy(() => {
    const f = net.features(randn([1, 3, 224, 224]), ['conv1', 'layer1', 'layer2', 'layer3', 'layer4']);
    const exp = { conv1: [64, 112, 112], layer1: [64, 56, 56], layer2: [128, 28, 28], layer3: [256, 14, 14], layer4: [512, 7, 7] };
    for (const [k, s] of Object.entries(exp)) assert.deepEqual(f.get(k)!.shape, [1, ...s], k);
  });
  net.dispose();
});

test('parameter counts equal the layer arithmetic', () => {
  // alexnet_s, 3 input channels, 10 classes: head input 64 * 2 * 2.
  const aS = sum([
    conv(3, 32, 5), bn(32), conv(32, 64, 5), bn(64), conv(64, 96, 3), bn(96), conv(96, 96, 3), bn(96), conv(96, 64, 3), bn(64),
    fc(256, 512), fc(512, 512), fc(512, 10),
  ]);
  assert.equal(aS, 647562);
  // vgg_s: (cin, cout) of the 13 convs written out; head input 128 * 1 * 1.
  const vggPairs = [[3, 16], [16, 16], [16, 32], [32, 32], [32, 64], [64, 64], [64, 64], [64, 128], [128, 128], [128, 128], [128, 128], [128, 128], [128, 128]];
  const vS = sum(vggPairs.map(([i, o]) => conv(i!, o!, 3) + bn(o!))) + fc(128, 512) + fc(512, 512) + fc(512, 10);
  assert.equal(vS, 1256730);
  // resnet18, 1000 classes: convs without bias; a block is conv, bn, conv, bn (+ 1x1 conv, bn shortcut).
  const block = (cin: number, cout: number) => conv(cin, cout, 3, false) + bn(cout) + conv(cout, cout, 3, false) + bn(cout) + (cin !== cout ? conv(cin, cout, 1, false) + bn(cout) : 0);
  const r18 = conv(3, 64, 7, false) + bn(64) + sum([[64, 64], [64, 128], [128, 256], [256, 512]].map(([i, o]) => block(i!, o!) + block(o!, o!))) + fc(512, 1000);
  assert.equal(r18, 11689512); // torchvision's resnet18
  // Full-size AlexNet (torchvision: 61,100,840) and VGG16-BN (torchvision vgg16_bn: 138,365,992).
  const alex = sum([conv(3, 64, 11), conv(64, 192, 5), conv(192, 384, 3), conv(384, 256, 3), conv(256, 256, 3), fc(256 * 36, 4096), fc(4096, 4096), fc(4096, 1000)]);
  assert.equal(alex, 61100840);
  const v16Pairs = [[3, 64], [64, 64], [64, 128], [128, 128], [128, 256], [256, 256], [256, 256], [256, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512]];
  const v16 = sum(v16Pairs.map(([i, o]) => conv(i!, o!, 3) + bn(o!))) + fc(512 * 49, 4096) + fc(4096, 4096) + fc(4096, 1000);
  assert.equal(v16, 138365992);
  for (const [net, n] of [[alexnetS(10, 3), aS], [vggS(10, 3), vS], [resnet18(1000, 3), r18], [alexnet(1000, 3), alex], [vgg16(1000, 3), v16]] as const) {
    assert.equal(net.numParameters(), n, net.constructor.name);
    net.dispose();
  }
});

test('state dict keys are stable dotted names (torchvision numbering under trunk./head.)', () => {
  const a = alexnetS(10, 3);
  const keys = [...a.stateDict().keys()];
  // trunk: conv at 0, 4, 8, 11, 14 with BN right after; head: pool 0, flatten 1, fc 2, 5, 7.
  const bnKeys = (i: number) => ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((k) => `trunk.${i}.${k}`);
  const expected = [0, 4, 8, 11, 14].flatMap((i) => [`trunk.${i}.weight`, `trunk.${i}.bias`, ...bnKeys(i + 1)]);
  expected.push(...[2, 5, 7].flatMap((i) => [`head.${i}.weight`, `head.${i}.bias`]));
  assert.deepEqual(keys, expected);
  const b = alexnetS(10, 3);
  assert.deepEqual([...b.stateDict().keys()], keys, 'a second build has the same keys');
  b.loadStateDict(a.stateDict());
  tidy(() => {
    a.eval();
    b.eval();
    const x = randn([2, 3, 32, 32]);
    assertClose(b.forward(x).tolist(), a.forward(x).tolist(), 0);
  });
  a.dispose();
  b.dispose();

  const r = resnet18(1000, 3);
  const rk = [...r.stateDict().keys()];
  assert.equal(rk.length, 122); // as torchvision's resnet18: 62 parameters + 20 BN x 3 buffers
  for (const k of ['trunk.conv1.weight', 'trunk.bn1.running_var', 'trunk.layer1.0.conv1.weight', 'trunk.layer2.0.downsample.0.weight', 'trunk.layer2.0.downsample.1.num_batches_tracked', 'trunk.layer4.1.bn2.bias', 'head.2.weight', 'head.2.bias']) {
    assert.ok(rk.includes(k), k);
  }
  assert.ok(!rk.includes('trunk.layer1.0.downsample.0.weight'), 'no shortcut conv where shapes match');
  r.dispose();
  // vgg16 (BN): torchvision's vgg16_bn features numbering; the last conv is features.40.
  const v = vgg16(10, 3);
  const vk = new Set(v.stateDict().keys());
  for (const i of [0, 3, 7, 10, 14, 17, 20, 24, 27, 30, 34, 37, 40]) assert.ok(vk.has(`trunk.${i}.weight`) && vk.has(`trunk.${i + 1}.running_mean`), `conv at ${i}`);
  // torchvision's VGG init: conv std sqrt(2 / fanOut) = sqrt(2 / (64 * 9)), fc std 0.01, biases 0.
  const sd = v.stateDict();
  const std = (k: string) => tidy(() => sd.get(k)!.std().item());
  assert.ok(Math.abs(std('trunk.0.weight') / Math.sqrt(2 / (64 * 9)) - 1) < 0.05, `conv std ${std('trunk.0.weight')}`);
  assert.ok(Math.abs(std('head.5.weight') / 0.01 - 1) < 0.01, `fc std ${std('head.5.weight')}`);
  for (const k of ['trunk.0.bias', 'trunk.40.bias', 'head.2.bias', 'head.8.bias']) assert.equal(tidy(() => sd.get(k)!.abs().max().item()), 0, k);
  v.dispose();
});

test('resetHead builds a fresh head for another number of classes; buildZooNet and getArch check names', () => {
  const net = buildZooNet('vgg_s', 10, 3);
  assert.ok(net instanceof ZooNet);
  const trunkBefore = net.trunk;
  net.resetHead(4);
  assert.equal(net.trunk, trunkBefore);
  tidy(() => assert.deepEqual(net.forward(randn([2, 3, 32, 32])).shape, [2, 4]));
  assert.equal(net.flatFeatures, 128);
  net.dispose();
  assert.throws(() => buildZooNet('convnet_s', 10, 1), /arch 'convnet_s' has no trunk\/head split/);
  assert.throws(() => getArch('lenet'), /unknown arch 'lenet'; available: convnet_s, alexnet_s/);
  assert.throws(() => alexnetS(0, 3), /numClasses must be a positive integer, got 0/);
  for (const [name, info] of Object.entries(ARCHS)) {
    if (info.taps.length === 0) continue;
    const n = buildZooNet(name, 2, 1);
    assert.deepEqual([...n.tapNames], info.taps, name);
    n.dispose();
  }
});

test('a few SGD steps of alexnet_s on one fixed batch lower the loss', () => {
  const net = alexnetS(3, 1);
  const x = randn([8, 1, 16, 16]).keep();
  const y = randint(0, 3, [8]).keep();
  const ps = net.parameters();
  const loss = () => tidy(() => F.crossEntropy(net.forward(x), y).item());
  net.eval();
  const before = loss();
  net.train();
  for (let i = 0; i < 10; i++) {
    tidy(() => {
      net.zeroGrad();
      F.crossEntropy(net.forward(x), y).backward();
      noGrad(() => { for (const p of ps) p.sub_(p.grad!.mul(0.05)); });
    });
  }
  net.eval();
  assert.ok(loss() < before, `loss ${loss()} not below ${before}`);
  x.dispose();
  y.dispose();
  net.dispose();
});
