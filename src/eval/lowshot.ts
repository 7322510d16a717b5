// Low-shot linear probes: the linear head trained on a few labelled images per class (or a
// small stratified fraction of the training set) and scored on the whole test set, averaged
// over several draws of the subset. The subsets depend only on the labels, the seed and the
// draw number, so every model compared with the same (seed, draw) trains on the same images.
import { Tensor, tensor } from '../engine/index.js';
import { Rng, deriveSeed } from '../data/rng.js';
import { LINEAR_PROBE_DEFAULTS, batchBounds, trainLinearProbes, type FeatureMatrix, type LinearProbeInput } from './linear.js';

function checkSubsetArgs(fn: string, labels: Int32Array, seed: number, draw: number): void {
  if (!(labels instanceof Int32Array)) throw new TypeError(`${fn}: labels must be an Int32Array`);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`${fn}: seed must be a non-negative integer, got ${seed}`);
  if (!Number.isInteger(draw) || draw < 0) throw new RangeError(`${fn}: draw must be a non-negative integer, got ${draw}`);
}

/** The rows of each class 0..max(label), in index order. */
function rowsByClass(fn: string, labels: Int32Array): Int32Array[] {
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y < 0) throw new RangeError(`${fn}: labels[${i}] is ${y}, expected a class index >= 0`);
    if (y > max) max = y;
  }
  const counts = new Int32Array(max + 1);
  for (const y of labels) counts[y]!++;
  const rows = Array.from(counts, (c) => new Int32Array(c));
  counts.fill(0);
  for (let i = 0; i < labels.length; i++) rows[labels[i]!]![counts[labels[i]!]!++] = i;
  return rows;
}

/**
 * Each class's rows in the order of draw `draw`: a permutation seeded by (seed, draw, class)
 * alone, so a subset is the first k rows of each class's order and the subsets of one draw are
 * nested (the 1-per-class images are among the 10-per-class ones).
 */
function drawOrder(rows: Int32Array, seed: number, draw: number, cls: number): Int32Array {
  const p = new Rng(deriveSeed(seed, draw, cls)).permutation(rows.length);
  return Int32Array.from(p, (j) => rows[j]!);
}

function take(byClass: Int32Array[], counts: number[], seed: number, draw: number): Int32Array {
  const out = new Int32Array(counts.reduce((a, b) => a + b, 0));
  let o = 0;
  byClass.forEach((rows, c) => {
    if (counts[c] === 0) return;
    out.set(drawOrder(rows, seed, draw, c).subarray(0, counts[c]), o);
    o += counts[c]!;
  });
  return out.sort();
}

/**
 * Indices (sorted) of exactly nPerClass rows of every class 0..max(label), draw `draw` of seed
 * `seed`. Throws, naming the class, when a class has fewer rows.
 */
export function perClassSubset(labels: Int32Array, nPerClass: number, seed: number, draw: number): Int32Array {
  const fn = 'perClassSubset';
  checkSubsetArgs(fn, labels, seed, draw);
  if (!Number.isInteger(nPerClass) || nPerClass < 1) throw new RangeError(`${fn}: nPerClass must be a positive integer, got ${nPerClass}`);
  const byClass = rowsByClass(fn, labels);
  if (byClass.length === 0) throw new Error(`${fn}: no labels`);
  byClass.forEach((rows, c) => {
    if (rows.length < nPerClass) throw new Error(`${fn}: class ${c} has ${rows.length} images, fewer than the ${nPerClass} per class asked for`);
  });
  return take(byClass, byClass.map(() => nPerClass), seed, draw);
}

/**
 * Indices (sorted) of a stratified fraction of the rows: round(fraction * n_c) rows of each
 * class c, at least 1 (a class absent from the labels contributes none); draw `draw` of `seed`.
 */
export function fractionSubset(labels: Int32Array, fraction: number, seed: number, draw: number): Int32Array {
  const fn = 'fractionSubset';
  checkSubsetArgs(fn, labels, seed, draw);
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`${fn}: fraction must be in (0, 1], got ${fraction}`);
  const byClass = rowsByClass(fn, labels);
  if (byClass.length === 0) throw new Error(`${fn}: no labels`);
  return take(byClass, byClass.map((r) => (r.length === 0 ? 0 : Math.max(1, Math.round(fraction * r.length)))), seed, draw);
}

export interface LowShotOptions {
  /** Images per class of the per-class settings (default [1, 10, 100]). */
  perClass?: number[];
  /** Fractions of the training set of the stratified settings (default [0.01, 0.1]). */
  fractions?: number[];
  /** Draws of each subset (default 5). */
  draws?: number;
  /** Seed of the subsets (default 0); the mini-batch order of draw d is seeded by (seed, d). */
  seed?: number;
  /**
   * Optimisation steps per training (default 500): a subset of n rows trains for
   * ceil(steps / ceil(n / batchSize)) epochs, so small subsets see more passes and every
   * setting about the same number of steps. On Fashion-MNIST features 500 steps came within
   * 0.5 point of 1,000 for 864- to 2,400-D taps and HOG and within 1 point for a 64-D pooled
   * tap, where 200 steps lost up to 2 points; the default settings and draws for 5 taps of
   * 2,400-D plus 5 pooled heads took about 2 minutes on 2 cores.
   */
  steps?: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  /** Called after each training (one setting, one draw, every head). */
  onProgress?: (p: { setting: string; draw: number; done: number; total: number }) => void;
}

export interface LowShotHeadResult {
  name: string;
  /** Top-1 test accuracy of each draw, in draw order. */
  top1: number[];
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator) over the draws; NaN for one draw. */
  std: number;
}

export interface LowShotSetting {
  /** 'N=10' for 10 images per class, '1%' for a fraction of 0.01. */
  setting: string;
  kind: 'perClass' | 'fraction';
  /** Images per class, or the fraction. */
  value: number;
  /** Training rows of the subset (the same for every draw). */
  trainSize: number;
  epochs: number;
  heads: LowShotHeadResult[];
}

export const LOW_SHOT_DEFAULTS = { perClass: [1, 10, 100], fractions: [0.01, 0.1], draws: 5, seed: 0, steps: 500 } as const;

/** Mean and sample standard deviation. */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean, std: NaN };
  const ss = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (xs.length - 1)) };
}

const percent = (f: number) => `${+(f * 100).toPrecision(6)}%`;

/**
 * For each setting (N images per class, then each fraction) and each draw, trains every head's
 * linear probe (trainLinearProbes) on that subset of the training rows and scores it on every
 * test row; reports each head's top-1 per draw with its mean and standard deviation.
 */
export async function lowShotProbe(input: LinearProbeInput, options: LowShotOptions = {}): Promise<LowShotSetting[]> {
  const perClass = options.perClass ?? [...LOW_SHOT_DEFAULTS.perClass];
  const fractions = options.fractions ?? [...LOW_SHOT_DEFAULTS.fractions];
  const draws = options.draws ?? LOW_SHOT_DEFAULTS.draws;
  const seed = options.seed ?? LOW_SHOT_DEFAULTS.seed;
  const steps = options.steps ?? LOW_SHOT_DEFAULTS.steps;
  const batchSize = options.batchSize ?? LINEAR_PROBE_DEFAULTS.batchSize;
  if (!Number.isInteger(draws) || draws < 1) throw new RangeError(`lowShotProbe: draws must be a positive integer, got ${draws}`);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`lowShotProbe: steps must be a positive integer, got ${steps}`);
  if (!Number.isInteger(batchSize) || batchSize < 2) throw new RangeError(`lowShotProbe: batchSize must be an integer >= 2, got ${batchSize}`);
  const settings: { setting: string; kind: 'perClass' | 'fraction'; value: number; subset: (d: number) => Int32Array }[] = [
    ...perClass.map((n) => ({ setting: `N=${n}`, kind: 'perClass' as const, value: n, subset: (d: number) => perClassSubset(input.trainLabels, n, seed, d) })),
    ...fractions.map((f) => ({ setting: percent(f), kind: 'fraction' as const, value: f, subset: (d: number) => fractionSubset(input.trainLabels, f, seed, d) })),
  ];
  if (settings.length === 0) throw new Error('lowShotProbe: no settings (perClass and fractions are both empty)');
  // Every subset is drawn first, so that a class too small for a setting fails before any training.
  const subsets = settings.map((s) => Array.from({ length: draws }, (_, d) => s.subset(d)));

  // Feature values are turned into tensors once, not once per training.
  const owned: Tensor[] = [];
  const asTensor = (m: FeatureMatrix): FeatureMatrix => {
    if (!(m instanceof Tensor)) {
      const t = tensor(m.data, { shape: [...m.shape] }).keep();
      owned.push(t);
      return t;
    }
    return m;
  };
  const total = settings.length * draws;
  let done = 0;
  try {
    const heads = input.heads.map((h) => ({ name: h.name, train: asTensor(h.train), test: asTensor(h.test) }));
    const shared: LinearProbeInput = { ...input, heads };
    const out: LowShotSetting[] = [];
    for (const [i, s] of settings.entries()) {
      const n = subsets[i]![0]!.length;
      const epochs = Math.ceil(steps / (batchBounds(n, batchSize).length - 1));
      const top1 = heads.map(() => [] as number[]);
      for (let d = 0; d < draws; d++) {
        const r = await trainLinearProbes(shared, {
          trainSubset: subsets[i]![d]!, epochs, batchSize, lr: options.lr, weightDecay: options.weightDecay, seed: deriveSeed(seed, d),
        });
        r.forEach((h, j) => top1[j]!.push(h.top1));
        options.onProgress?.({ setting: s.setting, draw: d, done: ++done, total });
      }
      out.push({
        setting: s.setting, kind: s.kind, value: s.value, trainSize: n, epochs,
        heads: heads.map((h, j) => ({ name: h.name, top1: top1[j]!, ...meanStd(top1[j]!) })),
      });
    }
    return out;
  } finally {
    for (const t of owned) t.dispose();
  }
}
