// Linear probes on features that do not fit in memory: each head's rows are in an N x D .npy
// file, read a block of rows at a time. Every epoch visits the blocks in a seeded random order
// and the rows of each block in a seeded random order (the usual approximation of a full
// shuffle when data streams from disk); every head sees the same batches. Heads, schedule and
// optimiser are those of linear.ts; the test rows are scored a block at a time too.
import { tensor, tidy } from '../engine/index.js';
import { Rng, deriveSeed } from '../data/rng.js';
import { readFeatureRows } from '../cluster/features.js';
import { LINEAR_PROBE_DEFAULTS, batchBounds, newProbe, probeLr, scoreRows, stepProbe, type LinearProbeProgress, type LinearProbeResult } from './linear.js';

export interface StreamedHead {
  name: string;
  dim: number;
  /** .npy files of the train rows (N x dim) and test rows (M x dim). */
  train: string;
  test: string;
}

export interface StreamedProbeOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  seed: number;
  /** Bytes of features read at once, all heads together (default 256 MiB). */
  blockBytes?: number;
  onProgress?: (p: LinearProbeProgress) => void;
}

/** Block boundaries over n rows: blocks of a whole number of batches, about blockRows rows. */
function blocks(n: number, blockRows: number, batchSize: number): number[] {
  const rows = Math.max(batchSize, Math.floor(blockRows / batchSize) * batchSize);
  const b: number[] = [];
  for (let s = 0; s < n; s += rows) b.push(s);
  b.push(n);
  // A last block too small for a batch statistic joins the one before.
  if (b.length > 2 && n - b[b.length - 2]! < 2) b.splice(b.length - 2, 1);
  return b;
}

export async function trainLinearProbesStreamed(
  heads: readonly StreamedHead[], trainLabels: Int32Array, testLabels: Int32Array, numClasses: number, o: StreamedProbeOptions,
): Promise<LinearProbeResult[]> {
  const n = trainLabels.length;
  const rowBytes = 4 * heads.reduce((s, h) => s + h.dim, 0);
  const bounds = blocks(n, Math.floor((o.blockBytes ?? 256 * 2 ** 20) / rowBytes), o.batchSize);
  const nBlocks = bounds.length - 1;
  const perBlock = Array.from({ length: nBlocks }, (_, i) => batchBounds(bounds[i + 1]! - bounds[i]!, o.batchSize));
  const total = o.epochs * perBlock.reduce((s, b) => s + b.length - 1, 0);
  const warm = Math.round(LINEAR_PROBE_DEFAULTS.warmup * total);
  const probes = heads.map((h) => newProbe(h.dim, numClasses, o.lr, o.weightDecay));
  try {
    let step = 0;
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const rng = new Rng(deriveSeed(o.seed, epoch));
      const blockOrder = rng.permutation(nBlocks);
      for (const p of probes) p.loss = p.correct = 0;
      for (const k of blockOrder) {
        const s = bounds[k]!, b = bounds[k + 1]! - s;
        const order = rng.permutation(b);
        const within = perBlock[k]!;
        tidy(() => {
          const xs = heads.map((h) => readFeatureRows(h.train, s, b));
          const y = tensor(trainLabels.subarray(s, s + b)).long();
          for (let j = 0; j < within.length - 1; j++) {
            const lr = probeLr(o.lr, step++, total, warm);
            tidy(() => {
              const idx = tensor(order.subarray(within[j]!, within[j + 1]!)).long();
              const yb = y.indexSelect(0, idx);
              probes.forEach((p, i) => stepProbe(p, xs[i]!.indexSelect(0, idx), yb, lr));
            });
          }
        });
      }
      probes.forEach((p, i) => {
        if (!Number.isFinite(p.loss)) throw new Error(`trainLinearProbes: head '${heads[i]!.name}': the training loss is ${p.loss} in epoch ${epoch + 1}; lower lr (${o.lr})`);
        o.onProgress?.({ epoch: epoch + 1, epochs: o.epochs, head: heads[i]!.name, loss: p.loss / n, accuracy: p.correct / n });
      });
      await new Promise((r) => setImmediate(r));
    }
    return probes.map((p, i) => {
      const h = heads[i]!;
      const chunk = Math.max(1, Math.floor((o.blockBytes ?? 256 * 2 ** 20) / (4 * h.dim)));
      const sc = scoreRows(p.model, (s, b) => readFeatureRows(h.test, s, b), testLabels, numClasses > 10, chunk);
      const r: LinearProbeResult = { name: h.name, top1: sc.top1, trainLoss: p.loss / n, trainAccuracy: p.correct / n, trainSize: n, epochs: o.epochs, steps: total };
      if (sc.top5 !== undefined) r.top5 = sc.top5;
      return r;
    });
  } finally {
    for (const p of probes) {
      p.opt.dispose();
      p.model.dispose();
    }
  }
}
