// 2,000 training steps keep live tensors and the process's resident memory flat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, randint, tidy, memory, manualSeed, F } from '../../src/engine/index.js';
import * as nn from '../../src/nn/index.js';
import { SGD } from '../../src/optim/index.js';

test('2000 training steps: live tensors and RSS stay flat', () => {
  manualSeed(1);
  const model = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(8 * 4 * 4, 4),
  );
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const step = () =>
    tidy(() => {
      const x = randn([16, 1, 8, 8]);
      const y = randint(0, 4, [16]);
      const loss = F.crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss.item();
    });
  for (let i = 0; i < 200; i++) step(); // momentum buffers and allocator pools settle
  const live0 = memory().liveTensors;
  const bytes0 = memory().liveBytes;
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < 1800; i++) step();
  const live1 = memory().liveTensors;
  const rss1 = process.memoryUsage().rss;
  assert.equal(live1, live0, 'live tensors grew');
  assert.equal(memory().liveBytes, bytes0, 'live native bytes grew');
  // Each step allocates ~60 KB of tensors: a leak of one step's tensors would add ~100 MB.
  assert.ok(rss1 - rss0 < 16 * 2 ** 20, `RSS grew by ${((rss1 - rss0) / 2 ** 20).toFixed(1)} MiB`);
});
