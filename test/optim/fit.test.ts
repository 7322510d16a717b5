// End to end: a tiny MLP trained with SGD momentum fits a small synthetic regression problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rand, tidy, manualSeed, memory, F } from '../../src/engine/index.js';
import * as nn from '../../src/nn/index.js';
import { SGD, CosineAnnealingLR } from '../../src/optim/index.js';

test('Linear -> ReLU -> Linear fits y = x0 * x1 + sin(2 x0) (loss drops more than 10x); memory stays flat', () => {
  manualSeed(7);
  const model = new nn.Sequential(new nn.Linear(2, 32), new nn.ReLU(), new nn.Linear(32, 1));
  const x = tidy(() => rand([256, 2]).mul(2).sub(1)).keep();
  const y = tidy(() => {
    const [x0, x1] = x.unbind(1) as [typeof x, typeof x];
    return x0.mul(x1).add(x0.mul(2).sin()).unsqueeze(1);
  }).keep();
  const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const sched = new CosineAnnealingLR(opt, 400, 0.01);
  const lossAt = () => tidy(() => F.mseLoss(model.forward(x), y).item());
  const first = lossAt();
  let live = 0;
  for (let i = 0; i < 400; i++) {
    tidy(() => {
      const loss = F.mseLoss(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
    sched.step();
    if (i === 10) live = memory().liveTensors;
  }
  assert.equal(memory().liveTensors, live, 'no tensors leak per step');
  const last = lossAt();
  assert.ok(last < first / 10, `loss ${first} -> ${last}`);
  opt.dispose();
  model.dispose();
  x.dispose();
  y.dispose();
});
