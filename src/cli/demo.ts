// `selfsup demo`: trains convnet_s on Fashion-MNIST with the shared trainer and prints test accuracy.
import type { Command } from 'commander';
import { z } from 'zod';
import { field } from '../util/options.js';
import { stageCommand } from './schema_options.js';
import { manualSeed, setNumThreads, getNumThreads } from '../engine/index.js';
import { loadFashionMnist, type LabeledImages } from '../data/fashion_mnist.js';
import { Loader, memorySource, Normalize } from '../data/index.js';
import { convnetS } from '../models/index.js';
import { Trainer, classify, evaluate } from '../train/index.js';

// Fashion-MNIST training-set pixel statistics (on [0, 1]).
export const FASHION_MNIST_NORM = { mean: 0.286, std: 0.353 };

/** The first n images of a Fashion-MNIST split as a loader (1 channel, so NHWC = NCHW). */
export function fashionMnistLoader(d: LabeledImages, n: number, o: { batchSize: number; seed: number; shuffle: boolean }): Loader {
  const source = memorySource(d.images.subarray(0, n * d.height * d.width), [1, d.height, d.width], d.labels.subarray(0, n));
  return new Loader(source, { ...o, transform: new Normalize(FASHION_MNIST_NORM.mean, FASHION_MNIST_NORM.std), prefetch: false });
}

export const demoSchema = z.strictObject({
  epochs: field(z.int().min(1).default(1), { description: 'training epochs', arg: 'n' }),
  batch: field(z.int().min(1).default(32), { description: 'batch size', arg: 'n' }),
  lr: field(z.number().positive().default(1e-3), { description: 'Adam learning rate', arg: 'x' }),
  limit: field(z.int().min(1).optional(), { description: 'use only the first n training images', defaultText: 'all', arg: 'n' }),
  seed: field(z.int().min(0).default(0), { description: 'random seed', arg: 'n' }),
  threads: field(z.int().min(1).optional(), { description: "intra-op threads (default: libtorch's)", role: 'control' }),
});

export function demoCommand(): Command {
  return stageCommand('demo', 'train a small convnet on Fashion-MNIST and report test accuracy', demoSchema, async (o) => {
    if (o.threads) setNumThreads(o.threads);
    manualSeed(o.seed);
    const train = loadFashionMnist('train');
    const test = loadFashionMnist('test');
    const n = Math.min(o.limit ?? train.count, train.count);
    console.log(`Fashion-MNIST: ${n} training, ${test.count} test images; convnet_s; ${getNumThreads()} threads`);
    const model = convnetS(10, 1);
    const loader = fashionMnistLoader(train, n, { batchSize: o.batch, seed: o.seed, shuffle: true });
    const trainer = new Trainer({ model, task: classify, loader, epochs: o.epochs, optim: { optimizer: 'adam', lr: o.lr }, label: 'demo' });
    const t0 = performance.now();
    await trainer.fit();
    const secs = (performance.now() - t0) / 1000;
    const { accuracy } = await evaluate(model, fashionMnistLoader(test, test.count, { batchSize: 500, seed: 0, shuffle: false }), classify);
    console.log(`test accuracy ${(accuracy * 100).toFixed(2)}% after ${o.epochs} epoch(s) in ${secs.toFixed(1)} s`);
  });
}
