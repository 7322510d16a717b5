// Learning-rate schedules against values computed by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, type Tensor } from '../../src/engine/index.js';
import { SGD, StepLR, MultiStepLR, CosineAnnealingLR, LinearLR, SequentialLR, type LRScheduler } from '../../src/optim/index.js';
import { assertClose } from '../helpers/assert.js';

const live: Tensor[] = [];
function sgd(lr: number | number[]): SGD {
  const lrs = Array.isArray(lr) ? lr : [lr];
  const groups = lrs.map((l) => {
    const p = tensor([1, 2], { requiresGrad: true }).keep();
    live.push(p);
    return { params: [p], lr: l };
  });
  return new SGD(groups, { lr: lrs[0]! });
}
/** lr at epochs 0..n-1: the value after construction, then after each step(). */
function lrs(s: LRScheduler, n: number, group = 0): number[] {
  const out = [s.getLastLr()[group]!];
  assert.equal(s.optimizer.paramGroups[group]!.lr, out[0]);
  for (let i = 1; i < n; i++) {
    s.step();
    out.push(s.getLastLr()[group]!);
    assert.equal(s.optimizer.paramGroups[group]!.lr, out[i], 'the optimiser gets the same lr');
  }
  return out;
}

test('StepLR: 0.1 for epochs 0-2, 0.01 from epoch 3, 0.001 from epoch 6', () => {
  assertClose(lrs(new StepLR(sgd(0.1), 3), 8), [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001], 1e-12);
  assertClose(lrs(new StepLR(sgd(1), 2, 0.5), 6), [1, 1, 0.5, 0.5, 0.25, 0.25], 1e-12);
});

test('MultiStepLR: gamma at each milestone', () => {
  assertClose(lrs(new MultiStepLR(sgd(1), [2, 5], 0.5), 7), [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25], 1e-12);
  // Unsorted milestones are sorted; a repeated milestone applies gamma twice (as PyTorch's Counter).
  assertClose(lrs(new MultiStepLR(sgd(1), [3, 1, 3], 0.1), 5), [1, 0.1, 0.1, 0.001, 0.001], 1e-12);
});

test('CosineAnnealingLR: base at 0, midpoint at tMax/2, etaMin at tMax', () => {
  const v = lrs(new CosineAnnealingLR(sgd(0.1), 10, 0.001), 11);
  assertClose(v[0], 0.1, 1e-12);
  assertClose(v[5], (0.1 + 0.001) / 2, 1e-12);
  assertClose(v[10], 0.001, 1e-12);
  // cos(pi/3) = 1/2 at epoch tMax/3 -> etaMin + 3/4 (base - etaMin)
  const w = lrs(new CosineAnnealingLR(sgd(1), 6), 3);
  assertClose(w[2], 0.75, 1e-12);
  for (let i = 1; i < v.length; i++) assert.ok(v[i]! < v[i - 1]!, 'decreasing');
});

test('LinearLR: linear warm-up from startFactor to endFactor over totalIters, then constant', () => {
  assertClose(lrs(new LinearLR(sgd(0.2), 0.25, 1, 4), 7), [0.05, 0.0875, 0.125, 0.1625, 0.2, 0.2, 0.2], 1e-12);
  // Defaults: startFactor 1/3, endFactor 1, totalIters 5.
  assertClose(lrs(new LinearLR(sgd(1)), 7), [1 / 3, 7 / 15, 9 / 15, 11 / 15, 13 / 15, 1, 1], 1e-12);
  assert.throws(() => new LinearLR(sgd(1), 0), /startFactor must be in \(0, 1\]/);
});

test('SequentialLR: warm-up, then the second schedule starts at its epoch 0 on the milestone', () => {
  const opt = sgd(1);
  const warm = new LinearLR(opt, 0.1, 1, 3);
  const step = new StepLR(opt, 2, 0.5);
  const s = new SequentialLR(opt, [warm, step], [3]);
  // epochs 0-2: 0.1, 0.4, 0.7; epoch 3 = StepLR epoch 0: 1; then halving every 2 epochs
  assertClose(lrs(s, 9), [0.1, 0.4, 0.7, 1, 1, 0.5, 0.5, 0.25, 0.25], 1e-12);
  assert.throws(() => new SequentialLR(opt, [warm, step], []), /expected 1 milestones for 2 schedulers/);
  assert.throws(() => new SequentialLR(sgd(1), [warm], []), /belongs to a different optimiser/);
});

test('schedules set each parameter group from its own initial lr', () => {
  const s = new StepLR(sgd([0.1, 1]), 1, 0.5);
  s.step();
  s.step();
  assertClose(s.getLastLr(), [0.025, 0.25], 1e-12);
});

test('warm-up then cosine keeps one base per group: lr_g(k) = base_g * factor(k), a zero base stays 0', () => {
  const opt = sgd([0.4, 0.1, 0]);
  const s = new SequentialLR(opt, [new LinearLR(opt, 0.1, 1, 2), new CosineAnnealingLR(opt, 3)], [2]);
  assert.deepEqual(s.baseLrs, [0.4, 0.1, 0]);
  const factor = [0.1, 0.55, 1, 0.75, 0.25, 0, 0.25, 0.75]; // 0.1 + 0.9 k / 2, then (1 + cos(pi (k - 2) / 3)) / 2
  const got = [s.getLastLr()];
  for (let k = 1; k < 8; k++) {
    s.step();
    got.push(opt.paramGroups.map((g) => g.lr));
  }
  assertClose(got, factor.map((f) => [0.4 * f, 0.1 * f, 0]), 1e-12);
});

test('stateDict/loadStateDict (as JSON) resumes the exact sequence', () => {
  const makers: [string, (o: SGD) => LRScheduler][] = [
    ['StepLR', (o) => new StepLR(o, 3, 0.3)],
    ['MultiStepLR', (o) => new MultiStepLR(o, [2, 6], 0.1)],
    ['CosineAnnealingLR', (o) => new CosineAnnealingLR(o, 7, 0.01)],
    ['LinearLR', (o) => new LinearLR(o, 0.2, 0.9, 6)],
    ['SequentialLR', (o) => new SequentialLR(o, [new LinearLR(o, 0.5, 1, 3), new CosineAnnealingLR(o, 5)], [3])],
  ];
  for (const [name, make] of makers) {
    const full = lrs(make(sgd([0.5, 0.1])), 12, 1);
    const first = make(sgd([0.5, 0.1]));
    const head = lrs(first, 5, 1);
    const saved = JSON.parse(JSON.stringify(first.stateDict()));
    assert.equal(saved.type, name);
    // A fresh optimiser and schedule, as after a restart.
    const opt = sgd([0.5, 0.1]);
    const resumed = make(opt);
    resumed.loadStateDict(saved);
    assert.equal(opt.paramGroups[1]!.lr, head[4], `${name}: loading sets the optimiser's lr`);
    const tail = lrs(resumed, 8, 1).slice(1);
    assert.deepEqual([...head, ...tail], full, name);
  }
  const s = new StepLR(sgd(1), 2);
  assert.throws(() => s.loadStateDict(new CosineAnnealingLR(sgd(1), 3).stateDict()), /the state is for CosineAnnealingLR, this is StepLR/);
  assert.throws(() => s.loadStateDict({ ...s.stateDict(), baseLrs: [1, 2] }), /baseLrs must hold 1 numbers/);
});

test.after(() => live.forEach((t) => t.dispose()));
