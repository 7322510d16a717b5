// Supervised classification on in-memory image tensors: the engine's end-to-end check
// (the demo, the accuracy test, and the step benchmark's reference).
import { Tensor, F, tidy, noGrad, fromBytes, tensor } from '../engine/index.js';
import type { Module } from '../nn/index.js';
import type { Optimizer } from '../optim/index.js';
import { Rng, deriveSeed } from '../data/rng.js';
import { progress } from './progress.js';

/** Images as uint8 [N, C, H, W] with int64 labels [N], kept in native memory. */
export interface ImageSet {
  images: Tensor;
  labels: Tensor;
}

/** Builds an ImageSet from NHWC uint8 bytes. */
export function imageSet(bytes: Uint8Array, labels: Uint8Array, n: number, h: number, w: number, c: number): ImageSet {
  return tidy(() => {
    const nhwc = fromBytes(bytes.subarray(0, n * h * w * c), [n, h, w, c], 'uint8');
    const images = nhwc.permute(0, 3, 1, 2).contiguous().keep();
    const y = tensor(labels.subarray(0, n), { dtype: 'int64' }).keep();
    return { images, labels: y };
  });
}

export interface Preprocess {
  mean: number;
  std: number;
  /** Pixels of zero padding on each side (28 -> 32 needs 2). */
  pad: number;
}

/** uint8 [B, C, H, W] -> normalised float32, padded. */
export function toInput(batch: Tensor, p: Preprocess): Tensor {
  let x = batch.float().div(255).sub(p.mean).div(p.std);
  if (p.pad > 0) x = F.pad(x, [p.pad, p.pad, p.pad, p.pad], 'constant', (0 - p.mean) / p.std);
  return x;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  preprocess: Preprocess;
  /** Called after each step, e.g. to step a scheduler. */
  onStep?: (step: number, loss: number) => void;
  quiet?: boolean;
}

/** Trains with softmax cross-entropy; returns the mean loss of each epoch. */
export function trainClassifier(model: Module, opt: Optimizer, data: ImageSet, o: TrainOptions): number[] {
  const n = data.images.shape[0]!;
  const steps = Math.floor(n / o.batchSize);
  const losses: number[] = [];
  let step = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    model.train();
    const order = new Rng(deriveSeed(o.seed, epoch)).permutation(n);
    const bar = progress(`epoch ${epoch + 1}/${o.epochs}`, steps * o.batchSize, { unit: 'img', quiet: o.quiet });
    let sum = 0;
    for (let s = 0; s < steps; s++) {
      const loss = tidy(() => {
        const idx = tensor(order.subarray(s * o.batchSize, (s + 1) * o.batchSize), { dtype: 'int64' });
        const x = toInput(data.images.indexSelect(0, idx), o.preprocess);
        const y = data.labels.indexSelect(0, idx);
        const l = F.crossEntropy(model.forward(x), y);
        opt.zeroGrad();
        l.backward();
        opt.step();
        return l.item();
      });
      if (!Number.isFinite(loss)) throw new Error(`training diverged: loss is ${loss} at step ${step}`);
      sum += loss;
      o.onStep?.(step++, loss);
      bar.tick(o.batchSize, { loss: sum / (s + 1) });
    }
    bar.stop();
    losses.push(sum / steps);
  }
  return losses;
}

/** Top-1 accuracy in [0, 1] (eval mode, no gradients). */
export function evaluateClassifier(model: Module, data: ImageSet, p: Preprocess, batchSize = 500): number {
  model.eval();
  const n = data.images.shape[0]!;
  let correct = 0;
  noGrad(() => {
    for (let i = 0; i < n; i += batchSize) {
      correct += tidy(() => {
        const len = Math.min(batchSize, n - i);
        const x = toInput(data.images.narrow(0, i, len), p);
        const pred = model.forward(x).argmax(1);
        return pred.eq(data.labels.narrow(0, i, len)).sum().item();
      });
    }
  });
  return correct / n;
}
