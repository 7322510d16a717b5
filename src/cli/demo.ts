// `selfsup demo`: trains convnet_s on Fashion-MNIST and prints test accuracy.
import { Command } from 'commander';
import { manualSeed, setNumThreads, getNumThreads } from '../engine/index.js';
import { Adam } from '../optim/index.js';
import { loadFashionMnist } from '../data/fashion_mnist.js';
import { convnetS } from '../models/index.js';
import { imageSet, trainClassifier, evaluateClassifier } from '../train/classifier.js';
import { intArg, floatArg } from './args.js';

// Fashion-MNIST training-set pixel statistics (on [0, 1]).
export const FASHION_MNIST_NORM = { mean: 0.286, std: 0.353, pad: 2 };

export function demoCommand(): Command {
  return new Command('demo')
    .description('train a small convnet on Fashion-MNIST and report test accuracy')
    .option('--epochs <n>', 'training epochs', intArg('--epochs'), 1)
    .option('--batch <n>', 'batch size', intArg('--batch'), 32)
    .option('--lr <x>', 'Adam learning rate', floatArg('--lr'), 1e-3)
    .option('--limit <n>', 'use only the first n training images', intArg('--limit'))
    .option('--seed <n>', 'random seed', intArg('--seed', 0), 0)
    .option('--threads <n>', 'intra-op threads', intArg('--threads'))
    .action((o: { epochs: number; batch: number; lr: number; limit?: number; seed: number; threads?: number }) => {
      if (o.threads) setNumThreads(o.threads);
      manualSeed(o.seed);
      const train = loadFashionMnist('train');
      const test = loadFashionMnist('test');
      const n = Math.min(o.limit ?? train.count, train.count);
      console.log(`Fashion-MNIST: ${n} training, ${test.count} test images; convnet_s; ${getNumThreads()} threads`);
      const trainSet = imageSet(train.images, train.labels, n, train.height, train.width, 1);
      const testSet = imageSet(test.images, test.labels, test.count, test.height, test.width, 1);
      const model = convnetS(10, 1);
      const opt = new Adam(model.parameters(), { lr: o.lr });
      const t0 = performance.now();
      trainClassifier(model, opt, trainSet, { epochs: o.epochs, batchSize: o.batch, seed: o.seed, preprocess: FASHION_MNIST_NORM });
      const secs = (performance.now() - t0) / 1000;
      const acc = evaluateClassifier(model, testSet, FASHION_MNIST_NORM);
      console.log(`test accuracy ${(acc * 100).toFixed(2)}% after ${o.epochs} epoch(s) in ${secs.toFixed(1)} s`);
    });
}
