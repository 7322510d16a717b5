// 2,000 training steps keep live tensors and the process's resident memory flat; a trainer's
// step lets go of the forward's intermediates before backward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randn, randint, tidy, memory, manualSeed, F } from '../../src/engine/index.js';
import * as nn from '../../src/nn/index.js';
import { SGD } from '../../src/optim/index.js';
import { Loader, memorySource } from '../../src/data/index.js';
import { Trainer, classify } from '../../src/train/index.js';

/** Resident anonymous memory (heap, arenas, V8), without the pages of mapped libraries. */
function anonymousRss(): number {
  const kb = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  assert.ok(kb, 'RssAnon in /proc/self/status');
  return Number(kb[1]) * 1024;
}

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
  const rss0 = anonymousRss();
  for (let i = 0; i < 1800; i++) step();
  const live1 = memory().liveTensors;
  const rss1 = anonymousRss();
  assert.equal(live1, live0, 'live tensors grew');
  assert.equal(memory().liveBytes, bytes0, 'live native bytes grew');
  // Each step allocates ~60 KB of tensors: a leak of one step's tensors would add ~100 MB. What
  // does grow here is malloc's heap, by 8-12 MiB over these steps (its high-water mark with the
  // trim threshold at 128 MiB; it levels off at about 10 MiB after some 8,000 steps).
  assert.ok(rss1 - rss0 < 32 * 2 ** 20, `anonymous RSS grew by ${((rss1 - rss0) / 2 ** 20).toFixed(1)} MiB`);
});

test('a training step holds no handle to the forward\'s intermediates during backward (backward frees them as it goes)', async () => {
  manualSeed(2);
  // 32 images of 32 x 32: each 64-channel activation is 8 MiB; the parameters are 0.2 MiB.
  const model = new nn.Sequential(
    new nn.Conv2d(1, 64, 3, { padding: 1 }), new nn.BatchNorm2d(64), new nn.ReLU(),
    new nn.Conv2d(64, 64, 3, { padding: 1 }), new nn.ReLU(), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(64, 4),
  );
  const n = 64, side = 32;
  const bytes = Uint8Array.from({ length: n * side * side }, (_, i) => (i * 37) % 256);
  const source = memorySource(bytes, [1, side, side], Int32Array.from({ length: n }, (_, i) => i % 4));
  const seen: number[] = [];
  const t = new Trainer({
    model, loader: new Loader(source, { batchSize: 32, seed: 1, prefetch: false }), task: classify, epochs: 1, quiet: true, handleSignals: false,
    optim: { optimizer: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0 },
    afterBackward: () => void seen.push(memory().liveBytes),
  });
  await t.fit();
  assert.equal(seen.length, 2);
  // Live JS handles at that point: parameters, gradients, momentum, the batch, logits and loss
  // (under 2 MiB); with the forward's handles alive it would be over 30 MiB.
  for (const b of seen) assert.ok(b < 2 * 2 ** 20, `${(b / 2 ** 20).toFixed(1)} MiB referenced by live handles after backward`);
  t.dispose();
  model.dispose();
});
