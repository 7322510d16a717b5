// Optimiser state save/load: steps after a load equal the steps of an uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, type Tensor } from '../../src/engine/index.js';
import { SGD, Adam, AdamW, StepLR, type Optimizer, type OptimizerStateDict } from '../../src/optim/index.js';

const grads = (t: number): number[][] => [
  [Math.sin(t + 1), -0.5 * t, 1 / (t + 1)],
  [[0.3, -t], [2, 0.1 * t * t]].flat(),
];
const makeParams = (): Tensor[] => [
  tensor([1, -2, 3], { requiresGrad: true }).keep(),
  tensor([[0.5, 0.25], [-1, 2]], { requiresGrad: true }).keep(),
];
function stepWith(opt: Optimizer<any>, ps: Tensor[], t: number): void {
  const g = grads(t);
  tidy(() => ps.forEach((p, i) => (p.grad = tensor(g[i]!).reshape(p.shape))));
  opt.step();
}
/** What a checkpoint file gives back: meta through JSON, tensors as fresh copies. */
function throughFile(sd: OptimizerStateDict): OptimizerStateDict {
  return { meta: JSON.parse(JSON.stringify(sd.meta)), tensors: new Map([...sd.tensors].map(([k, t]) => [k, t.clone().keep()])) };
}

const kinds: [string, (ps: Tensor[]) => Optimizer<any>][] = [
  ['SGD momentum', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 })],
  ['SGD nesterov, two groups', (ps) => new SGD([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.01 }], { lr: 0.1, momentum: 0.9, nesterov: true })],
  ['Adam amsgrad', (ps) => new Adam(ps, { lr: 0.05, amsgrad: true })],
  ['AdamW', (ps) => new AdamW(ps, { lr: 0.05 })],
];

for (const [label, make] of kinds) {
  test(`${label}: stateDict/loadStateDict continues exactly`, () => {
    // Uninterrupted: 6 steps, with a step schedule changing lr after 2 steps.
    const a = makeParams();
    const optA = make(a);
    const schA = new StepLR(optA, 2, 0.5);
    for (let t = 0; t < 6; t++) {
      stepWith(optA, a, t);
      schA.step();
    }
    // Interrupted after 3 steps; a new optimiser on new parameters resumes from the saved state.
    const b = makeParams();
    const optB = make(b);
    const schB = new StepLR(optB, 2, 0.5);
    for (let t = 0; t < 3; t++) {
      stepWith(optB, b, t);
      schB.step();
    }
    const saved = throughFile(optB.stateDict());
    const schedState = JSON.parse(JSON.stringify(schB.stateDict()));
    assert.ok(saved.tensors.size > 0);
    for (const k of saved.tensors.keys()) assert.match(k, /^state\.\d\.(momentum_buffer|exp_avg|exp_avg_sq|max_exp_avg_sq)$/);
    const c = tidy(() => b.map((p) => p.detach().clone().requiresGrad_(true).keep()));
    optB.dispose();
    b.forEach((p) => p.dispose());
    const optC = make(c);
    const schC = new StepLR(optC, 2, 0.5);
    optC.loadStateDict(saved);
    schC.loadStateDict(schedState);
    saved.tensors.forEach((t) => t.dispose()); // the optimiser holds its own copies
    for (let t = 3; t < 6; t++) {
      stepWith(optC, c, t);
      schC.step();
    }
    c.forEach((p, i) => assert.deepEqual(p.tolist(), a[i]!.tolist(), `param ${i}`));
    assert.deepEqual(optC.paramGroups.map((g) => g.lr), optA.paramGroups.map((g) => g.lr));
    optA.dispose();
    optC.dispose();
    [...a, ...c].forEach((p) => p.dispose());
  });
}

test('state keys and meta follow the documented layout', () => {
  const ps = makeParams();
  const opt = new Adam(ps, { lr: 0.01 });
  const empty = opt.stateDict();
  assert.equal(empty.tensors.size, 0);
  stepWith(opt, ps, 0);
  stepWith(opt, ps, 1);
  const sd = opt.stateDict();
  assert.deepEqual([...sd.tensors.keys()], ['state.0.exp_avg', 'state.0.exp_avg_sq', 'state.1.exp_avg', 'state.1.exp_avg_sq']);
  assert.equal(sd.tensors.get('state.0.exp_avg'), opt.state.get(ps[0]!)!.exp_avg, 'the optimiser tensors themselves');
  assert.ok(sd.tensors.get('state.1.exp_avg')!.kept);
  const meta = sd.meta as any;
  assert.equal(meta.type, 'Adam');
  assert.deepEqual(meta.paramGroups, [{ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [0, 1] }]);
  assert.deepEqual(meta.state, { 0: { step: 2 }, 1: { step: 2 } });
  opt.dispose();
  ps.forEach((p) => p.dispose());
});

test('loadStateDict rejects mismatched state with clear errors and changes nothing', () => {
  const ps = makeParams();
  const opt = new SGD(ps, { lr: 0.1, momentum: 0.9 });
  stepWith(opt, ps, 0);
  const sd = opt.stateDict();

  const one = [tensor([1, 2, 3], { requiresGrad: true }).keep()];
  const fewer = new SGD(one, { lr: 0.1, momentum: 0.9 });
  assert.throws(() => fewer.loadStateDict(sd), /parameter group 0 has 2 parameters in the state, 1 here/);

  const other = [tensor([1, 2], { requiresGrad: true }).keep(), tensor([1, 2, 3, 4], { requiresGrad: true }).keep()];
  const shaped = new SGD(other, { lr: 0.1, momentum: 0.9 });
  assert.throws(() => shaped.loadStateDict(sd), /'state\.0\.momentum_buffer': expected shape \[2\] \(parameter 0\) got \[3\]/);
  assert.equal(shaped.state.size, 0);

  const adam = new Adam(makeParams());
  assert.throws(() => adam.loadStateDict(sd), /the state is for a SGD optimiser, this is a Adam/);
  const groups = new SGD([{ params: [ps[0]!] }, { params: [ps[1]!] }], { lr: 0.1 });
  assert.throws(() => groups.loadStateDict(sd), /the state has 1 parameter groups, this optimiser has 2/);
  const badKey = { tensors: new Map([['momentum.0', sd.tensors.get('state.0.momentum_buffer')!]]), meta: sd.meta };
  assert.throws(() => opt.loadStateDict(badKey), /unexpected key 'momentum\.0'/);
  assert.throws(() => opt.loadStateDict({} as never), /expected \{ tensors, meta \}/);
  for (const o of [opt, fewer, shaped, adam]) o.dispose();
  adam.paramGroups[0]!.params.forEach((p) => p.dispose());
  [...ps, ...one, ...other].forEach((p) => p.dispose());
});
