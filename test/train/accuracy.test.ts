// End to end on real data: a small CNN trained for one epoch on a Fashion-MNIST subset
// reaches at least 85% test accuracy (published 2-conv CNNs reach ~91% after full training).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed } from '../../src/engine/index.js';
import * as nn from '../../src/nn/index.js';
import { Adam } from '../../src/optim/index.js';
import { loadFashionMnist } from '../../src/data/fashion_mnist.js';
import { imageSet, trainClassifier, evaluateClassifier } from '../../src/train/classifier.js';

test('small CNN: >= 85% Fashion-MNIST test accuracy after one epoch on 20,000 images', (t) => {
  manualSeed(0);
  const train = loadFashionMnist('train');
  const testSplit = loadFashionMnist('test');
  const trainSet = imageSet(train.images, train.labels, 20000, 28, 28, 1);
  const testSet = imageSet(testSplit.images, testSplit.labels, testSplit.count, 28, 28, 1);
  // 28x28 -> conv 3x3 32 -> pool -> 14x14 -> conv 3x3 64 -> pool -> 7x7 -> linear
  const model = new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1 }), new nn.BatchNorm2d(32), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.BatchNorm2d(64), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(64 * 7 * 7, 10),
  );
  const pre = { mean: 0.286, std: 0.353, pad: 0 };
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const [loss] = trainClassifier(model, opt, trainSet, { epochs: 1, batchSize: 32, seed: 0, preprocess: pre, quiet: true });
  const acc = evaluateClassifier(model, testSet, pre);
  t.diagnostic(`test accuracy ${(acc * 100).toFixed(2)}%, mean train loss ${loss!.toFixed(3)}`);
  assert.ok(acc >= 0.85, `test accuracy ${(acc * 100).toFixed(2)}% (mean train loss ${loss!.toFixed(3)})`);
});
