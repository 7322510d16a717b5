// Linear probes trained on augmented images (`--augment`, as VISSL does at ImageNet scale): every
// epoch the frozen trunk runs on newly augmented training batches (random crop with 2 px
// padding, horizontal flip), each head reads its tap from that pass, and all heads step on the
// same batch. The test split is read once, without augmentation. The trunk runs on its device; the
// probes train on the CPU. Same heads, schedule and
// optimiser as the probes on features extracted once (linear.ts).
import { F, noGrad, tensor, tidy, withPrecision, type Precision } from '../engine/index.js';
import type { ImageCache } from '../data/cache/index.js';
import { Compose, RandomCrop, RandomHorizontalFlip } from '../data/augment/index.js';
import { Loader } from '../data/loader/index.js';
import { progress } from '../util/progress.js';
import { LINEAR_PROBE_DEFAULTS, newProbe, probeLr, score, stepProbe, type LinearProbeResult } from './linear.js';
import { moduleDevice } from '../train/device.js';
import type { EvalModel } from './model.js';
import type { HeadFeatures } from './extract.js';

export interface AugmentedProbeOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  seed: number;
  /** The arithmetic of the trunk's pass (bf16: autocast; the pooled maps and probes are float32). */
  precision?: Precision;
  quiet?: boolean;
}

export async function trainAugmentedProbes(
  model: EvalModel, train: ImageCache, trainLabels: Int32Array, test: readonly HeadFeatures[], testLabels: Int32Array, numClasses: number, o: AugmentedProbeOptions,
): Promise<LinearProbeResult[]> {
  const heads = test.map((t) => t.head);
  const taps = [...new Set(heads.map((h) => h.tap))];
  const transform = new Compose([new RandomCrop(null, { padding: 2 }), new RandomHorizontalFlip()]);
  const loader = new Loader(train, { batchSize: o.batchSize, seed: o.seed, shuffle: true, dropLast: true, transform, labels: trainLabels });
  const probes = heads.map((h) => newProbe(h.dim, numClasses, o.lr, o.weightDecay));
  const total = o.epochs * loader.batchesPerEpoch;
  const warm = Math.round(LINEAR_PROBE_DEFAULTS.warmup * total);
  const bar = progress('linear probes on augmented images', total, { unit: 'step', quiet: o.quiet });
  model.trunk.eval().toMemoryFormat('channelsLast');
  const device = moduleDevice(model.trunk);
  let step = 0, seen = 0, epoch = -1;
  try {
    for await (const batch of loader.batches({ epoch: 0, batch: 0 }, o.epochs)) {
      const lr = probeLr(o.lr, step, total, warm);
      if (batch.epoch !== epoch) {
        // The figures reported are the last epoch's.
        epoch = batch.epoch;
        seen = 0;
        for (const p of probes) p.loss = p.correct = 0;
      }
      try {
        tidy(() => {
          const maps = noGrad(() => withPrecision(o.precision, () => model.trunk.features(model.preprocess(batch.images.to(device)).contiguous('channelsLast'), taps)));
          const y = batch.labels!;
          heads.forEach((h, i) => {
            const x = noGrad(() => F.adaptiveAvgPool2d(maps.get(h.tap)!, [h.grid, h.grid]).to('float32').contiguous().flatten(1).to('cpu'));
            stepProbe(probes[i]!, x, y, lr);
          });
        });
      } finally {
        seen += batch.images.shape[0]!;
        batch.images.dispose();
        batch.labels?.dispose();
      }
      step++;
      bar.tick(1);
    }
    bar.stop();
    return probes.map((p, i) => {
      const t = test[i]!;
      const x = tensor(t.data, { shape: [t.rows, t.head.dim] }).keep();
      try {
        const s = score(p.model, x, testLabels, numClasses > 10);
        const r: LinearProbeResult = { name: t.head.name, top1: s.top1, trainLoss: p.loss / seen, trainAccuracy: p.correct / seen, trainSize: train.count, epochs: o.epochs, steps: total };
        if (s.top5 !== undefined) r.top5 = s.top5;
        return r;
      } finally {
        x.dispose();
      }
    });
  } finally {
    bar.stop();
    for (const p of probes) {
      p.opt.dispose();
      p.model.dispose();
    }
    await loader.close();
  }
}
