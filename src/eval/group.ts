// The evaluation over a group of processes (selfsup launch). The frozen pass is cut into the
// batches one process would run: rank r extracts the contiguous batches [r nb / W, (r + 1) nb / W)
// of every head into shard files, in a folder every rank sees. The protocols are cut into jobs
// (linear probes on a share of the heads, kNN, low-shot); job i is done by rank i mod W on the
// whole of the heads it reads, assembled from the shards. Each head's probe is independent of
// the others (trainLinearProbes) and each job sees what one process would, so the results equal
// one process's with the same threads per process.
import { join } from 'node:path';
import { NpyWriter, readNpyRows } from '../io/npy.js';
import { gatherResults, rank, worldSize } from '../distributed/index.js';
import { batchAlignedRange, COPY_ROWS } from '../features/sharded.js';
import type { ImageSource } from '../data/loader/index.js';
import type { EvalModel } from './model.js';
import type { TapHead } from './taps.js';
import { extractHeads, type ExtractHeadsOptions, type HeadFeatures } from './extract.js';

/** A part of an evaluation that one rank does. `heads`: indices into the evaluation's heads. */
export type EvalJob =
  | { kind: 'linear'; heads: number[] }
  | { kind: 'augmented' }
  | { kind: 'knn'; head: number }
  | { kind: 'lowshot'; head: number };

export interface JobsWanted {
  linear: boolean;
  augment: boolean;
  /** Head indices of kNN and low-shot, when they run. */
  knn?: number;
  lowshot?: number;
}

/** The jobs for `w` ranks: the linear probes split into min(w, heads) round-robin shares. */
export function planJobs(want: JobsWanted, heads: number, w: number): EvalJob[] {
  const jobs: EvalJob[] = [];
  if (want.linear && want.augment) jobs.push({ kind: 'augmented' });
  else if (want.linear) {
    const parts = Math.max(1, Math.min(w, heads));
    for (let p = 0; p < parts; p++) jobs.push({ kind: 'linear', heads: [...Array(heads).keys()].filter((h) => h % parts === p) });
  }
  if (want.knn !== undefined) jobs.push({ kind: 'knn', head: want.knn });
  if (want.lowshot !== undefined) jobs.push({ kind: 'lowshot', head: want.lowshot });
  return jobs;
}

/** Whether this rank does job i. */
export const ownsJob = (i: number): boolean => i % worldSize() === rank();

/** The head indices a rank's jobs read, of the training and of the test split. */
export function headsRead(jobs: EvalJob[], heads: number, mine: (i: number) => boolean): { train: Set<number>; test: Set<number> } {
  const train = new Set<number>(), test = new Set<number>();
  jobs.forEach((j, i) => {
    if (!mine(i)) return;
    const hs = j.kind === 'linear' ? j.heads : j.kind === 'augmented' ? [...Array(heads).keys()] : [j.head];
    for (const h of hs) {
      if (j.kind !== 'augmented') train.add(h);
      test.add(h);
    }
  });
  return { train, test };
}

/**
 * The group's frozen pass over `cache`: this rank's batches of every head into `dir/rankR/`,
 * then the heads in `wanted` assembled in cache order, in memory when they fit `maxBytes`, else
 * into `dir/HEAD.npy`. Entries of heads not wanted are undefined. Every rank must call it.
 */
export async function extractHeadsSharded(
  model: EvalModel, heads: readonly TapHead[], cache: ImageSource & { dir?: string }, wanted: Set<number>, dir: string, o: ExtractHeadsOptions,
): Promise<(HeadFeatures | undefined)[]> {
  const n = cache.count, w = worldSize(), me = rank(), batch = o.batchSize ?? 256;
  await gatherResults(`extracting ${o.label ?? 'features'}`, () =>
    extractHeads(model, heads, cache, { ...o, quiet: o.quiet || me !== 0, range: batchAlignedRange(n, batch, me, w), maxBytes: 0, dir: join(dir, `rank${me}`) }).then(() => null));
  const shard = (r: number, h: TapHead) => join(dir, `rank${r}`, `${h.name.replace(':', '_')}.npy`);
  const bytes = [...wanted].reduce((s, i) => s + 4 * n * heads[i]!.dim, 0);
  const toDisk = bytes > (o.maxBytes ?? Infinity);
  return heads.map((head, i) => {
    if (!wanted.has(i)) return undefined;
    const f: HeadFeatures = toDisk
      ? { head, rows: n, data: new Float32Array(0), path: join(dir, `${head.name.replace(':', '_')}.npy`) }
      : { head, rows: n, data: new Float32Array(n * head.dim) };
    const writer = toDisk ? new NpyWriter(f.path!, { dtype: 'float32', shape: [n, head.dim] }) : null;
    const chunk = COPY_ROWS(head.dim);
    try {
      for (let r = 0; r < w; r++) {
        const { start, end } = batchAlignedRange(n, batch, r, w);
        for (let s = 0; s < end - start; s += chunk) {
          const rows = readNpyRows(shard(r, head), s, Math.min(chunk, end - start - s)).data as Float32Array;
          if (writer) writer.append(rows);
          else f.data.set(rows, (start + s) * head.dim);
        }
      }
      writer?.close();
    } catch (e) {
      writer?.abort();
      throw e;
    }
    return f;
  });
}
