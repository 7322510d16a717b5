// Nearest-neighbour retrievals: for a few fixed query images, the most similar images of a bank
// (cosine similarity of one head's features), to look at what a representation finds alike. Works
// on unlabeled data too; labels, when there are, are recorded beside the rows.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { openCache, type ImageCache } from '../data/cache/index.js';
import { memorySource } from '../data/loader/index.js';
import { readNpy } from '../io/npy.js';
import { writeFileAtomic } from '../io/atomic.js';
import { resolveDevice, setNumThreads } from '../engine/index.js';
import { RETRIEVALS_FILE, type RetrievalsFile } from '../artifacts/experiment.js';
import { deviceField, field, parseOptions } from '../util/options.js';
import { openEvalModel } from './model.js';
import { defaultTaps, planHeads } from './taps.js';
import { extractHeads } from './extract.js';

export const retrievalsSchema = z.strictObject({
  model: field(z.string().optional(), { description: 'a finished run folder, or random:ARCH', role: 'input', arg: 'run|random:ARCH' }),
  features: field(z.string().optional(), { description: 'instead of --model: features of the bank cache', role: 'input', arg: 'file.npy' }),
  queryFeatures: field(z.string().optional(), { description: 'with --features and --queries-from: features of the query cache', role: 'input', arg: 'file.npy' }),
  data: field(z.string(), { description: 'the cache the neighbours come from (the bank)', role: 'input', arg: 'cache' }),
  queriesFrom: field(z.string().optional(), { description: 'the cache of the query images', defaultText: '--data; a query is then not its own neighbour', role: 'input', arg: 'cache' }),
  out: field(z.string(), { description: 'the folder to write retrievals.json to', role: 'output', arg: 'dir' }),
  queries: field(z.int().min(1).max(100).default(8), { description: 'query images (the first of each class in turn; unlabeled: evenly spaced)', arg: 'n' }),
  neighbours: field(z.int().min(1).max(50).default(8), { description: 'neighbours shown per query', arg: 'n' }),
  bank: field(z.int().min(1).default(10_000), { description: 'the first N images of --data are searched', arg: 'n' }),
  head: field(z.string().optional(), { description: "the tap compared, globally average-pooled", defaultText: 'the last tap', arg: 'tap' }),
  seed: field(z.int().min(0).default(0), { description: 'seed of a random:ARCH network', arg: 's' }),
  batchSize: field(z.int().min(1).default(256), { description: 'images per batch', arg: 'n' }),
  threads: field(z.int().min(1).optional(), { description: "intra-op threads (default: libtorch's)", role: 'control' }),
  device: deviceField('where the network runs', '; the similarities are computed on the CPU'),
  quiet: field(z.boolean().default(false), { description: 'no progress bar', role: 'control' }),
});
export type RetrievalsOptions = z.input<typeof retrievalsSchema>;

/** Fixed query rows: the first image of each class in turn (labeled), else evenly spaced rows. */
export function queryRows(labels: Int32Array | null, count: number, n: number): number[] {
  n = Math.min(n, count);
  if (labels === null) return Array.from({ length: n }, (_, i) => Math.floor((i * count) / n));
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = byClass.get(labels[i]!) ?? [];
    if (l.length < n) byClass.set(labels[i]!, [...l, i]);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const rows: number[] = [];
  for (let round = 0; rows.length < n; round++) {
    for (const c of classes) {
      const r = byClass.get(c)![round];
      if (r !== undefined && rows.length < n) rows.push(r);
    }
  }
  return rows;
}

/**
 * For each query (a row of `queries`, D values), the `k` rows of `bank` [N x D] of highest cosine
 * similarity, best first (ties: the lower row). `exclude[i]` is a bank row query i may not return.
 */
export function nearestRows(bank: Float32Array, queries: Float32Array, dim: number, k: number, exclude: (number | undefined)[] = []): { rows: number[]; similarities: number[] }[] {
  const n = bank.length / dim;
  const norms = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += bank[r * dim + j]! ** 2;
    norms[r] = Math.sqrt(s) || 1;
  }
  return Array.from({ length: queries.length / dim }, (_, q) => {
    let qn = 0;
    for (let j = 0; j < dim; j++) qn += queries[q * dim + j]! ** 2;
    qn = Math.sqrt(qn) || 1;
    const sims = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += bank[r * dim + j]! * queries[q * dim + j]!;
      sims[r] = s / (norms[r]! * qn);
    }
    const order = Array.from({ length: n }, (_, r) => r).filter((r) => r !== exclude[q]);
    order.sort((a, b) => sims[b]! - sims[a]! || a - b);
    const rows = order.slice(0, k);
    return { rows, similarities: rows.map((r) => sims[r]!) };
  });
}

function featureRows(path: string, flag: string, rows: number[] | null, count: number): { data: Float32Array; dim: number } {
  const a = readNpy(resolve(path));
  if (a.shape.length !== 2 || a.dtype !== 'float32') throw new Error(`${flag} ${path}: expected an N x D float32 matrix, got ${a.dtype} [${a.shape.join(', ')}]`);
  if (a.shape[0] !== count) throw new Error(`${flag} ${path}: ${a.shape[0]} rows, its cache has ${count} images`);
  const dim = a.shape[1]!, all = a.data as Float32Array;
  if (rows === null) return { data: all, dim };
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(all.subarray(r * dim, (r + 1) * dim), i * dim));
  return { data: out, dim };
}

/** Writes OUT/retrievals.json: the nearest bank images of fixed queries, by a model's or a file's features. */
export async function retrievalsStage(options: RetrievalsOptions): Promise<RetrievalsFile & { out: string }> {
  const o = parseOptions(retrievalsSchema, options);
  if ((o.model === undefined) === (o.features === undefined)) throw new Error('give --model RUN|random:ARCH, or --features');
  const device = resolveDevice(o.device); // before anything is written
  if (o.threads) setNumThreads(o.threads);
  const bankCache = openCache(o.data);
  const queryCache: ImageCache = o.queriesFrom === undefined ? bankCache : openCache(o.queriesFrom);
  const same = queryCache === bankCache;
  try {
    const nBank = Math.min(o.bank, bankCache.count);
    const rows = queryRows(queryCache.labels, queryCache.count, o.queries);
    let bank: Float32Array, queries: Float32Array, dim: number, head: string;
    if (o.model !== undefined) {
      const model = openEvalModel(o.model, bankCache, o.seed, device);
      try {
        const tap = o.head ?? defaultTaps(model.arch).at(-1)!;
        const h = planHeads(model.trunk, model.arch, bankCache.shape, [tap], 1, true).find((x) => x.grid === 1)!;
        head = h.name;
        dim = h.dim;
        const extract = async (bytes: Uint8Array, label: string) => (await extractHeads(model, [h], Object.assign(memorySource(bytes, bankCache.shape), { dir: label }), { batchSize: o.batchSize, quiet: o.quiet, label }))[0]!.data;
        bank = await extract(bankCache.readRange(0, nBank), 'retrievals (bank)');
        queries = await extract(queryCache.readIndices(rows), 'retrievals (queries)');
      } finally {
        model.dispose();
      }
    } else {
      if (!same && o.queryFeatures === undefined) throw new Error('--features with --queries-from needs --query-features (the query cache\'s features)');
      head = 'features';
      const b = featureRows(o.features!, '--features', null, bankCache.count);
      dim = b.dim;
      bank = b.data.subarray(0, nBank * dim);
      queries = featureRows(same ? o.features! : o.queryFeatures!, same ? '--features' : '--query-features', rows, queryCache.count).data;
    }
    const found = nearestRows(bank, queries, dim, o.neighbours, same ? rows : []);
    const result: RetrievalsFile = {
      head, bank: bankCache.dir, queryCache: queryCache.dir,
      queries: rows.map((row, i) => ({
        row,
        ...(queryCache.labels ? { label: queryCache.labels[row]! } : {}),
        neighbours: found[i]!.rows,
        similarities: found[i]!.similarities.map((s) => Math.round(s * 1e6) / 1e6),
        ...(bankCache.labels ? { labels: found[i]!.rows.map((r) => bankCache.labels![r]!) } : {}),
      })),
    };
    const out = resolve(o.out);
    mkdirSync(out, { recursive: true });
    writeFileAtomic(join(out, RETRIEVALS_FILE), JSON.stringify(result, null, 2) + '\n');
    return { ...result, out };
  } finally {
    bankCache.close();
    if (!same) queryCache.close();
  }
}
