import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, randn, zeros, tidy, memory, manualSeed, type Tensor } from '../../src/engine/index.js';
import * as nn from '../../src/nn/index.js';

manualSeed(1);

/** features = Sequential(conv, bn, relu), then flatten and a linear head. */
function small(): nn.Sequential {
  return new nn.Sequential(
    new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.ReLU()),
    new nn.Flatten(),
    new nn.Linear(8, 3),
  );
}

class Net extends nn.Module {
  readonly features: nn.Sequential;
  readonly classifier: nn.Linear;
  constructor() {
    super();
    this.features = this.registerModule('features', new nn.Sequential(new nn.Conv2d(1, 2, 3, { bias: false }), new nn.ReLU()));
    this.classifier = this.registerModule('classifier', new nn.Linear(2, 2));
    this.registerBuffer('scale', tensor([2]));
  }
  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.features.forward(x).mean([2, 3])).mul(this.getBuffer('scale')!);
  }
}

test('nested Sequential: names of parameters, buffers, modules and state-dict keys', () => {
  const m = small();
  assert.deepEqual(
    m.namedParameters().map(([n]) => n),
    ['0.0.weight', '0.0.bias', '0.1.weight', '0.1.bias', '2.weight', '2.bias'],
  );
  assert.deepEqual(
    m.namedBuffers().map(([n]) => n),
    ['0.1.running_mean', '0.1.running_var', '0.1.num_batches_tracked'],
  );
  assert.deepEqual(
    [...m.namedModules()].map(([n]) => n),
    ['', '0', '0.0', '0.1', '0.2', '1', '2'],
  );
  assert.deepEqual(
    [...m.namedChildren()].map(([n]) => n),
    ['0', '1', '2'],
  );
  const sd = m.stateDict();
  assert.deepEqual(
    [...sd.keys()],
    ['0.0.weight', '0.0.bias', '0.1.weight', '0.1.bias', '0.1.running_mean', '0.1.running_var', '0.1.num_batches_tracked', '2.weight', '2.bias'],
  );
  // The values are the module's own tensors.
  const conv = (m.at(0) as nn.Sequential).at(0) as nn.Conv2d;
  assert.equal(sd.get('0.0.weight'), conv.weight);
  assert.equal(sd.get('0.1.num_batches_tracked')!.dtype, 'int64');
  for (const p of m.parameters()) {
    assert.ok(p.requiresGrad && p.kept && p.isLeaf);
  }
  for (const b of m.buffers()) assert.ok(!b.requiresGrad && b.kept);
  // conv 2*1*3*3 + 2, bn 2 + 2, linear 8*3 + 3
  assert.equal(m.numParameters(), 20 + 4 + 27);
  assert.equal(m.length, 3);
  assert.ok(m.at(-1) instanceof nn.Linear);
  m.dispose();
});

test('custom module: registerModule/registerBuffer names, shared parameters appear once in parameters()', () => {
  const net = new Net();
  assert.deepEqual([...net.stateDict().keys()], ['scale', 'features.0.weight', 'classifier.weight', 'classifier.bias']);
  assert.deepEqual(net.namedBuffers().map(([n]) => n), ['scale']);
  assert.equal(net.forward(randn([2, 1, 5, 5])).shape.join(), '2,2');
  // A layer used twice: its parameters are listed once, but both state-dict keys exist (as PyTorch).
  const lin = new nn.Linear(3, 3);
  const twice = new nn.Sequential(lin, lin);
  assert.equal(twice.parameters().length, 2);
  assert.equal(twice.stateDict().size, 4);
  // to() converts a shared tensor once and keeps it shared.
  twice.to('float64');
  assert.equal((twice.at(0) as nn.Linear).weight, (twice.at(1) as nn.Linear).weight);
  assert.equal(lin.weight.dtype, 'float64');
  // An empty layer is allowed (fan-based init leaves empty tensors alone).
  const none = new nn.Linear(0, 2);
  // fanIn 0: the bias bound is 0, so the output is all zeros.
  assert.deepEqual(tidy(() => none.forward(randn([3, 0])).tolist()), [[0, 0], [0, 0], [0, 0]]);
  none.dispose();
  net.dispose();
  lin.dispose();
});

test('registration errors name the problem', () => {
  const net = new Net();
  assert.throws(() => net.registerParameter('a.b', zeros([1])), /without '\.'/);
  assert.throws(() => net.registerParameter('scale', zeros([1])), /'scale' is already a buffer/);
  assert.throws(() => net.registerBuffer('features', zeros([1])), /'features' is already a module/);
  assert.throws(() => net.registerParameter('p', tensor([1, 2], { dtype: 'int64' })), /floating point/);
  assert.throws(() => net.getParameter('nope'), /Net has no parameter 'nope'/);
  net.dispose();
});

test('loadStateDict copies values in place', () => {
  const a = small();
  const b = small();
  const before = b.parameters();
  b.loadStateDict(a.stateDict());
  const after = b.parameters();
  after.forEach((p, i) => assert.equal(p, before[i], 'tensors are not replaced'));
  const sa = a.stateDict(), sb = b.stateDict();
  for (const [k, t] of sa) assert.deepEqual(sb.get(k)!.tolist(), t.tolist(), k);
  // Copies, not aliases: changing a does not change b.
  tidy(() => (a.at(2) as nn.Linear).weight.detach().fill_(7));
  assert.notDeepEqual((b.at(2) as nn.Linear).weight.tolist(), (a.at(2) as nn.Linear).weight.tolist());
  a.dispose();
  b.dispose();
});

test('loadStateDict strict: one error listing missing, unexpected and mismatched keys; nothing loaded', () => {
  const m = small();
  const sd = new Map(m.stateDict());
  const w0 = (m.at(2) as nn.Linear).weight.tolist();
  const wrong = zeros([5, 8]);
  const extra = zeros([1]);
  sd.delete('0.1.running_var');
  sd.delete('2.bias');
  sd.set('0.0.weight', zeros([2, 1, 5, 5]));
  sd.set('2.weight', wrong);
  sd.set('extra.thing', extra);
  let msg = '';
  try {
    m.loadStateDict(sd);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert.match(msg, /missing keys: 0\.1\.running_var, 2\.bias/);
  assert.match(msg, /unexpected keys: extra\.thing/);
  assert.match(msg, /0\.0\.weight: expected \[2, 1, 3, 3\] got \[2, 1, 5, 5\]/);
  assert.match(msg, /2\.weight: expected \[3, 8\] got \[5, 8\]/);
  assert.deepEqual((m.at(2) as nn.Linear).weight.tolist(), w0, 'nothing was loaded');
  wrong.dispose();
  extra.dispose();
  m.dispose();
});

test('loadStateDict strict=false loads what matches and reports the rest; shape mismatches still throw', () => {
  const m = small();
  const nine = tidy(() => zeros([3, 8]).add(9));
  const extra = zeros([1]);
  const sd = new Map<string, Tensor>([
    ['2.weight', nine],
    ['other', extra],
  ]);
  const r = m.loadStateDict(sd, { strict: false });
  assert.deepEqual(r.unexpectedKeys, ['other']);
  assert.equal(r.missingKeys.length, 8);
  assert.ok(r.missingKeys.includes('0.1.num_batches_tracked'));
  assert.ok(((m.at(2) as nn.Linear).weight.tolist() as number[][]).flat().every((v) => v === 9));
  const bad = zeros([2]);
  assert.throws(() => m.loadStateDict(new Map([['2.weight', bad]]), { strict: false }), /2\.weight: expected \[3, 8\] got \[2\]/);
  for (const t of [nine, extra, bad]) t.dispose();
  m.dispose();
});

test('train()/eval() reach every descendant', () => {
  const m = small();
  assert.ok(m.modules().every((x) => x.training));
  m.eval();
  assert.ok(m.modules().every((x) => !x.training));
  m.train();
  assert.ok(m.modules().every((x) => x.training));
  m.train(false);
  assert.equal(((m.at(0) as nn.Sequential).at(1) as nn.BatchNorm2d).training, false);
  m.dispose();
});

test("to('float64') casts floating parameters and buffers, keeps int64 counters and requiresGrad", () => {
  const m = small();
  const w = tidy(() => (m.at(2) as nn.Linear).weight.tolist());
  m.to('float64');
  for (const [k, t] of m.stateDict()) assert.equal(t.dtype, k.endsWith('num_batches_tracked') ? 'int64' : 'float64', k);
  for (const p of m.parameters()) assert.ok(p.requiresGrad && p.kept);
  assert.deepEqual((m.at(2) as nn.Linear).weight.tolist(), w);
  const y = tidy(() => m.forward(randn([2, 1, 4, 4], { dtype: 'float64' })).tolist());
  assert.equal((y as number[][]).length, 2);
  m.to('cpu'); // already there: no change
  assert.throws(() => m.to('int64'), /floating point/);
  assert.throws(() => m.to('tpu' as never), /unknown device or dtype 'tpu'/);
  m.dispose();
});

test('zeroGrad, dispose', () => {
  const m = small();
  tidy(() => m.forward(randn([2, 1, 4, 4])).sum().backward());
  assert.ok(m.parameters().every((p) => p.grad !== null));
  m.zeroGrad(false);
  assert.ok(m.parameters().every((p) => tidy(() => p.grad!.abs().sum().item()) === 0));
  m.zeroGrad();
  assert.ok(m.parameters().every((p) => p.grad === null));
  const live = memory().liveTensors;
  const n = m.stateDict().size;
  m.dispose();
  assert.equal(memory().liveTensors, live - n);
});
