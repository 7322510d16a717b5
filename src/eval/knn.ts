// Weighted k-nearest-neighbour classification of features (Wu et al. 2018, "Unsupervised feature
// learning via non-parametric instance discrimination"; the knn_predict of solo-learn and
// lightly): rows of the bank (training features) and the queries are L2-normalised (with an
// eps, as F.normalize), similarity is their dot product (cosine), each query takes its k most
// similar bank rows, neighbour i weighs w_i = exp(sim_i / T), the score of class c is the sum of
// the weights of the neighbours labelled c, and the prediction is the class with the highest
// score (ties: the lowest class index).
//
// Memory: the similarities are computed block by block, a [Bq, Bn] block of queries x bank
// rows within BLOCK_SIMILARITIES elements (64 MB of float32); a running top-k per query merges
// the blocks, so neither M x N nor a normalised copy of the bank is ever made (the bank's
// inverse norms, [N], are). Several k share one top-k, with the largest of them.
import { type Tensor, tensor, zeros, empty, arange, cat, where, tidy, keep, dispose, isFloating } from '../engine/index.js';

/** Elements of one block of similarities (16M float32: 64 MB). */
export const BLOCK_SIMILARITIES = 16 * 2 ** 20;

/** F.normalize's default eps: rows are divided by max(||x||, eps), so a zero row stays zero. */
export const NORM_EPS = 1e-12;

/** Features with their classes: features [N, D] (a floating tensor, CPU or GPU), labels [N] in [0, numClasses). */
export interface LabeledFeatures {
  features: Tensor;
  labels: Int32Array;
}

export interface KnnOptions {
  /** Classes: labels lie in [0, numClasses). */
  numClasses: number;
  /** Neighbours, one k or several (each its own result); default 20. Each k <= N. */
  k?: number | number[];
  /** Temperature T of the weights exp(sim / T); default 0.07. */
  temperature?: number;
  /** Queries per block; default min(M, max(1024, BLOCK_SIMILARITIES / N)). */
  queryChunkRows?: number;
  /** Bank rows per block; default min(N, BLOCK_SIMILARITIES / query rows). */
  bankChunkRows?: number;
}

export interface KnnResult {
  k: number;
  /** Share of queries whose predicted class is their label. */
  top1: number;
  /** Share of queries whose label is among the 5 best-scored classes (ties: lower class first); null when numClasses <= 10. */
  top5: number | null;
  /** Predicted class of each query, int32 [M] (with returnPredictions). */
  predictions?: Int32Array;
}

interface Resolved {
  ks: number[];
  kMax: number;
  temperature: number;
  numClasses: number;
  queryRows: number;
  bankRows: number;
}

function shapeOf(name: string, t: Tensor): [number, number] {
  if (!(t.ndim === 2)) throw new Error(`knn: ${name} must be a 2-D [rows, D] tensor, got shape [${t.shape.join(', ')}]`);
  if (!isFloating(t.dtype)) throw new Error(`knn: ${name} must be floating point, got ${t.dtype}`);
  return t.shape as [number, number];
}

function checkLabels(name: string, labels: Int32Array, rows: number, numClasses: number): void {
  if (!(labels instanceof Int32Array)) throw new Error(`knn: ${name} labels must be an Int32Array`);
  if (labels.length !== rows) throw new Error(`knn: ${rows} ${name} rows but ${labels.length} ${name} labels; expected one label per row`);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l < 0 || l >= numClasses) throw new Error(`knn: ${name} label ${i} is ${l}; expected a class in [0, ${numClasses})`);
  }
}

const positiveInt = (v: number) => Number.isInteger(v) && v >= 1;

function resolve(bank: LabeledFeatures, queries: Tensor, queryLabels: Int32Array | null, opts: KnnOptions): Resolved {
  const [n, d] = shapeOf('bank features', bank.features);
  const [m, dq] = shapeOf('query features', queries);
  if (dq !== d) throw new Error(`knn: queries have ${dq} columns but the bank ${d}; expected the same feature dimension D`);
  const numClasses = opts.numClasses;
  if (!positiveInt(numClasses)) throw new Error(`knn: numClasses must be an integer >= 1, got ${numClasses}`);
  checkLabels('bank', bank.labels, n, numClasses);
  if (queryLabels) checkLabels('query', queryLabels, m, numClasses);
  const ks = Array.isArray(opts.k) ? opts.k : [opts.k ?? 20];
  if (ks.length === 0) throw new Error('knn: k must be a number or a non-empty list of numbers');
  for (const k of ks) {
    if (!positiveInt(k)) throw new Error(`knn: k must be an integer >= 1, got ${k}`);
    if (k > n) throw new Error(`knn: k = ${k} but the bank has only ${n} rows; expected k <= ${n}`);
  }
  const temperature = opts.temperature ?? 0.07;
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`knn: temperature must be a finite number > 0, got ${temperature}`);
  for (const key of ['queryChunkRows', 'bankChunkRows'] as const) {
    const v = opts[key];
    if (v !== undefined && !positiveInt(v)) throw new Error(`knn: ${key} must be an integer >= 1, got ${v}`);
  }
  const queryRows = Math.max(1, Math.min(m, opts.queryChunkRows ?? Math.max(1024, Math.floor(BLOCK_SIMILARITIES / Math.max(1, n)))));
  const bankRows = Math.max(1, Math.min(n, opts.bankChunkRows ?? Math.floor(BLOCK_SIMILARITIES / queryRows)));
  return { ks, kMax: Math.max(...ks), temperature, numClasses, queryRows, bankRows };
}

/** 1 / max(||x_r||, eps) of each row of x [N, D], float32 [N], computed bankRows rows at a time. */
function inverseNorms(x: Tensor, rows: number): Tensor {
  const n = x.shape[0]!;
  const out = empty([n], { device: x.device });
  for (let s = 0; s < n; s += rows) {
    const b = Math.min(rows, n - s);
    tidy(() => {
      out.narrow(0, s, b).copy_(x.narrow(0, s, b).to('float32').norm(2, 1).clamp(NORM_EPS).reciprocal());
    });
  }
  return out;
}

/**
 * Calls fn(start, scores) for each block of queries, scores[i] the class scores of the block's
 * queries for ks[i] (float64 [b, C]); every tensor made for a block is freed after fn returns.
 */
function forEachBlock(bank: LabeledFeatures, queries: Tensor, r: Resolved, fn: (start: number, scores: Tensor[]) => void): void {
  const x = bank.features;
  const n = x.shape[0]!, m = queries.shape[0]!;
  const device = x.device;
  const [labels, invNorm] = tidy(() => [
    keep(tensor(bank.labels, { device }).to('int64')), // [N]
    keep(inverseNorms(x, r.bankRows)), // [N]
  ]);
  try {
    for (let qs = 0; qs < m; qs += r.queryRows) {
      const qb = Math.min(r.queryRows, m - qs);
      tidy(() => {
        const q = queries.narrow(0, qs, qb).to({ dtype: 'float32', device }); // [b, D]
        const qn = q.mul(q.norm(2, 1, true).clamp(NORM_EPS).reciprocal()); // [b, D], unit rows
        // Running top-kMax over the bank blocks: similarities [b, <= kMax] (descending), bank rows [b, <= kMax].
        let best: { values: Tensor; indices: Tensor } | null = null;
        for (let bs = 0; bs < n; bs += r.bankRows) {
          const nb = Math.min(r.bankRows, n - bs);
          const prev: { values: Tensor; indices: Tensor } | null = best;
          best = tidy(() => {
            const sims = qn.mm(x.narrow(0, bs, nb).to('float32').t()).mul(invNorm.narrow(0, bs, nb)); // [b, nb]
            const top = sims.topk(Math.min(r.kMax, nb), 1);
            const indices = top.indices.add(bs);
            if (prev === null) return { values: top.values, indices };
            const values = cat([prev.values, top.values], 1), all = cat([prev.indices, indices], 1);
            const merged = values.topk(Math.min(r.kMax, values.shape[1]!), 1);
            return { values: merged.values, indices: all.gather(1, merged.indices) };
          });
          dispose(prev); // the merged top-k replaces it
        }
        const { values, indices } = best!; // [b, kMax] each, sorted by similarity
        const scores = r.ks.map((k) => {
          const w = values.narrow(1, 0, k).to('float64').div(r.temperature).exp(); // [b, k]
          const neighbours = labels.indexSelect(0, indices.narrow(1, 0, k).reshape(-1)).reshape(qb, k); // [b, k]
          return zeros([qb, r.numClasses], { dtype: 'float64', device }).scatterAdd(1, neighbours, w); // [b, C]
        });
        fn(qs, scores);
      });
    }
  } finally {
    labels.dispose();
    invNorm.dispose();
  }
}

/**
 * Class scores of every query for each k: float64 [M, C] tensors (on the bank's device), in the
 * order of opts.k. Materialises M x C per k (not M x N): for inspection and small query sets.
 */
export function knnScores(bank: LabeledFeatures, queries: Tensor, opts: KnnOptions): Tensor[] {
  const r = resolve(bank, queries, null, opts);
  const m = queries.shape[0]!;
  const out = r.ks.map(() => zeros([m, r.numClasses], { dtype: 'float64', device: bank.features.device }));
  forEachBlock(bank, queries, r, (start, scores) => {
    scores.forEach((s, i) => out[i]!.narrow(0, start, s.shape[0]!).copy_(s));
  });
  return out;
}

/**
 * Weighted kNN accuracy of queries (features [M, D] with labels [M]) against a bank (features
 * [N, D] with labels [N]); one result per k, in the order of opts.k. Top-5 accuracy only when
 * there are more than 10 classes.
 */
export function knnClassify(bank: LabeledFeatures, queries: LabeledFeatures, opts: KnnOptions & { returnPredictions?: boolean }): KnnResult[] {
  const r = resolve(bank, queries.features, queries.labels, opts);
  const m = queries.features.shape[0]!;
  if (m === 0) throw new Error('knn: no queries; expected at least one query row');
  const c = r.numClasses;
  const top5 = c > 10;
  const hits1 = r.ks.map(() => 0), hits5 = r.ks.map(() => 0);
  const predictions = opts.returnPredictions ? r.ks.map(() => new Int32Array(m)) : null;
  const device = bank.features.device;
  const classes = keep(arange(0, c, 1, { dtype: 'int64', device })); // [C]
  try {
    forEachBlock(bank, queries.features, r, (start, scores) => {
      const b = scores[0]!.shape[0]!;
      const y = tensor(queries.labels.subarray(start, start + b), { device }).to('int64').unsqueeze(1); // [b, 1]
      scores.forEach((s, i) => {
        // Rank of the true class: classes scored higher, plus lower classes scored the same.
        const sy = s.gather(1, y); // [b, 1]
        const rank = s.gt(sy).sum(1).add(s.eq(sy).logicalAnd(classes.lt(y)).sum(1)); // [b]
        hits1[i]! += rank.eq(0).sum().item();
        if (top5) hits5[i]! += rank.lt(5).sum().item();
        if (predictions) {
          // The lowest class among those with the highest score.
          const best = s.eq(s.max(1, true).values); // [b, C]
          const pred = where(best, classes, c).min(1).values.to('int32').cpu(); // [b]
          predictions[i]!.set(pred.data() as Int32Array, start);
        }
      });
    });
  } finally {
    classes.dispose();
  }
  return r.ks.map((k, i) => ({
    k,
    top1: hits1[i]! / m,
    top5: top5 ? hits5[i]! / m : null,
    ...(predictions ? { predictions: predictions[i]! } : {}),
  }));
}
