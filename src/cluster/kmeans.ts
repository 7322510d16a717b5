// k-means (Lloyd's algorithm) on a float32 matrix in native memory, as scikit-learn's KMeans
// with algorithm='lloyd': k-means++ or random initialisation, several restarts keeping the
// lowest inertia, empty clusters re-seeded, convergence when no label changes or when the
// centroids move less than tol x (mean per-feature variance) in total squared distance.
// Distances come from blocked matrix products (see nearest.ts), so memory is the data plus
// O(chunkRows x D + K x D), never N x K. Everything runs on the data's device: on the CPU the
// assignment step is the fused native kernel, on CUDA the same steps as tensor ops (nearest.ts).
import { type Tensor, empty, tidy, keep, dispose } from '../engine/index.js';
import { Rng, deriveSeed } from '../data/rng.js';
import { checkKernel, defaultChunkRows, defaultKernel, forEachChunk, type KMeansKernel } from './nearest.js';
import { lloyd, scaledTolerance, type KMeansContext } from './lloyd.js';
import { kmeansPlusPlus, sampleWithoutReplacement } from './init.js';
import { shardedKmeansPlusPlus } from './plusplus_sharded.js';
import { miniBatchKMeans } from './minibatch.js';
import { rowsFromOwners, sumAcross, wholeShard, type RowShard } from './shard.js';
import { worldSize } from '../distributed/index.js';

export type KMeansInit = 'k-means++' | 'random';

export interface KMeansOptions {
  /** Number of clusters. */
  k: number;
  /** 'k-means++' (default), 'random' (K distinct rows), or initial centroids [K, D] (then nInit must be 1). */
  init?: KMeansInit | Tensor;
  /** Runs from different initialisations; the one with the lowest inertia is kept (default 1). */
  nInit?: number;
  /** Most Lloyd iterations per run (default 300, as scikit-learn); epochs for mini-batch. */
  maxIter?: number;
  /** Relative tolerance on the centroids' total squared movement (default 1e-4, as scikit-learn). */
  tol?: number;
  /** Seed of every random choice (default 0); run r uses deriveSeed(seed, r). */
  seed?: number;
  /** Rows per distance chunk (default defaultChunkRows(k)). */
  chunkRows?: number;
  /**
   * The assignment step: 'fused' (the native kernel, CPU only; the default there) or 'ops'
   * (libtorch tensor ops, any device; the default on CUDA). Both give the same labels.
   */
  kernel?: KMeansKernel;
  /**
   * k-means++ runs on a random sample of this many rows (default min(N, max(10,000, 32 K)));
   * Lloyd iterations then use every row.
   */
  initSampleSize?: number;
  /** Mini-batch k-means (Sculley 2010) with batches of this many rows, for data too big for Lloyd. */
  miniBatch?: number;
  /** Mini-batch: stop after this many batches without improvement of the smoothed inertia (default 10). */
  maxNoImprovement?: number;
  /**
   * Which rows of the whole matrix x holds, in a group of processes (shard.ts): every rank calls
   * kmeans on its own contiguous rows, in the same order, with the same options, and gets the
   * same centroids and inertia; its labels are those of its own rows. Default: all of them.
   */
  shard?: RowShard;
  /** Called at every iteration (and once per run at the start and end). */
  onProgress?: (e: KMeansProgress) => void;
}

export interface KMeansProgress {
  phase: 'init' | 'iteration' | 'done';
  /** 0-based run index, of nInit. */
  run: number;
  nInit: number;
  iteration: number;
  maxIter: number;
  /** Inertia at this iteration's assignment (mini-batch: smoothed batch inertia scaled to N). */
  inertia?: number;
  /** Rows whose cluster changed at this iteration. */
  changed?: number;
}

export interface KMeansRun {
  seed: number;
  /** Sum of squared distances of the rows to their centroids, recomputed from the differences at the end. */
  inertia: number;
  /** Lloyd iterations (assignment + update); epochs for mini-batch. */
  iterations: number;
  converged: boolean;
  /**
   * Inertia at each assignment step, the last for the final centroids, as the distance pass
   * computes it (from the expansion ||x||^2 - 2 x.c + ||c||^2 in float32, so it may differ
   * from `inertia` by about 1e-7 x sum ||x||^2). Mini-batch: the smoothed batch inertia x N
   * at each epoch's end, then the final inertia.
   */
  inertiaHistory: number[];
  /** Empty clusters re-seeded over the run. */
  reseeded: number;
  seconds: number;
}

export interface KMeansResult extends KMeansRun {
  /** float32 [K, D]. */
  centroids: Tensor;
  /** int64 [N]: each row's cluster (its nearest centroid); with a shard, this rank's rows only. */
  labels: Tensor;
  clusterSizes: number[];
  /** Every run; `bestRun` is the index of the one returned. */
  runs: KMeansRun[];
  bestRun: number;
  chunkRows: number;
}

/**
 * Initial centroids for run `rng`: k-means++ on a sample, random rows, or given ones. Sampled
 * rows are drawn by global index and fetched from their owners, so every rank (and one process)
 * gets the same rows in the same order.
 */
function initialCentroids(x: Tensor, shard: RowShard, o: KMeansOptions, rng: Rng): Tensor {
  const n = shard.total;
  if (o.init !== undefined && typeof o.init !== 'string') return tidy(() => (o.init as Tensor).to({ dtype: 'float32', device: x.device }).contiguous().clone());
  if (o.init === 'random') return tidy(() => rowsFromOwners(x, shard, sampleWithoutReplacement(rng, n, o.k)).to('float32').contiguous());
  const size = Math.max(o.k, Math.min(n, o.initSampleSize ?? Math.max(10_000, 32 * o.k)));
  if (size >= n) return worldSize() === 1 ? kmeansPlusPlus(x, o.k, rng) : shardedKmeansPlusPlus(x, shard, o.k, rng);
  return tidy(() => kmeansPlusPlus(rowsFromOwners(x, shard, sampleWithoutReplacement(rng, n, size)), o.k, rng));
}

function checkOptions(x: Tensor, o: KMeansOptions): void {
  if (x.ndim !== 2) throw new Error(`k-means: the data must be an N x D matrix, got shape [${x.shape.join(', ')}]`);
  if (x.dtype !== 'float32') throw new Error(`k-means: the data must be float32, got ${x.dtype}`);
  const dim = x.shape[1]!;
  const n = o.shard?.total ?? x.shape[0]!;
  if (o.shard && o.shard.rows !== x.shape[0]) throw new Error(`k-means: the shard holds ${o.shard.rows} rows, the data ${x.shape[0]}`);
  if (!Number.isInteger(o.k) || o.k < 1) throw new Error(`k-means: k must be a positive integer, got ${o.k}`);
  if (o.k > n) throw new Error(`k-means: k = ${o.k} is more than the ${n} rows`);
  const nInit = o.nInit ?? 1;
  if (!Number.isInteger(nInit) || nInit < 1) throw new Error(`k-means: nInit must be a positive integer, got ${nInit}`);
  if (o.maxIter !== undefined && (!Number.isInteger(o.maxIter) || o.maxIter < 1)) throw new Error(`k-means: maxIter must be a positive integer, got ${o.maxIter}`);
  if (o.tol !== undefined && !(o.tol >= 0)) throw new Error(`k-means: tol must be >= 0, got ${o.tol}`);
  if (o.chunkRows !== undefined && (!Number.isInteger(o.chunkRows) || o.chunkRows < 1)) throw new Error(`k-means: chunkRows must be a positive integer, got ${o.chunkRows}`);
  if (o.init !== undefined && typeof o.init !== 'string') {
    const s = o.init.shape;
    if (s.length !== 2 || s[0] !== o.k || s[1] !== dim) throw new Error(`k-means: initial centroids must be [${o.k}, ${dim}], got [${s.join(', ')}]`);
    if (nInit !== 1) throw new Error('k-means: given initial centroids allow only nInit = 1');
  } else if (o.init !== undefined && o.init !== 'k-means++' && o.init !== 'random') {
    throw new Error(`k-means: init must be 'k-means++' or 'random', got '${String(o.init)}'`);
  }
  if (o.miniBatch !== undefined && (!Number.isInteger(o.miniBatch) || o.miniBatch < 1)) throw new Error(`k-means: miniBatch must be a positive integer, got ${o.miniBatch}`);
  if (o.kernel !== undefined) checkKernel(o.kernel, x.device);
}

/** k-means on the rows of x (float32 [N, D]). The result's centroids and labels are yours to dispose. */
/** Most iterations (mini-batch: epochs) of a run when none are asked for: 300 as scikit-learn; 100 epochs. */
export function defaultMaxIter(miniBatch: number | undefined): number {
  return miniBatch ? 100 : 300;
}

export function kmeans(x: Tensor, opts: KMeansOptions): KMeansResult {
  checkOptions(x, opts);
  const [n, dim] = x.shape as [number, number]; // this rank's rows
  const shard = opts.shard ?? wholeShard(n);
  const sharded = worldSize() > 1;
  const nInit = opts.nInit ?? 1;
  const seed = opts.seed ?? 0;
  const chunkRows = opts.chunkRows ?? defaultChunkRows(opts.k);
  const maxIter = opts.maxIter ?? defaultMaxIter(opts.miniBatch);
  const tolScaled = scaledTolerance(x, opts.tol ?? 1e-4, chunkRows, shard);
  const kernel = opts.kernel ?? defaultKernel(x.device);
  const xSq = keep(empty([n], { device: x.device })); // ||x||^2 per row, by chunks (x.square() would copy all of x)
  forEachChunk(n, chunkRows, (s, b) => tidy(() => void xSq.narrow(0, s, b).copy_(x.narrow(0, s, b).square().sum(1))));
  const runs: KMeansRun[] = [];
  let best: (KMeansRun & { centroids: Tensor; labels: Tensor }) | undefined;
  let bestRun = 0;
  try {
    for (let r = 0; r < nInit; r++) {
      const runSeed = deriveSeed(seed, r);
      const report = (e: Omit<KMeansProgress, 'run' | 'nInit' | 'maxIter'>) => opts.onProgress?.({ ...e, run: r, nInit, maxIter });
      const ctx: KMeansContext = { x, xSq, n, dim, k: opts.k, kernel, chunkRows, maxIter, tolScaled, report, shard, sharded };
      const t0 = performance.now();
      report({ phase: 'init', iteration: 0 });
      const rng = new Rng(runSeed);
      const init = initialCentroids(x, shard, opts, rng);
      const res = opts.miniBatch
        ? miniBatchKMeans(ctx, init, rng, { batchSize: opts.miniBatch, maxNoImprovement: opts.maxNoImprovement ?? 10 })
        : lloyd(ctx, init);
      const run: KMeansRun = { ...res, seed: runSeed, seconds: (performance.now() - t0) / 1000 };
      delete (run as Partial<typeof res>).centroids;
      delete (run as Partial<typeof res>).labels;
      runs.push(run);
      report({ phase: 'done', iteration: res.iterations, inertia: res.inertia });
      if (best === undefined || res.inertia < best.inertia) {
        dispose([best?.centroids, best?.labels]);
        best = { ...run, centroids: res.centroids, labels: res.labels };
        bestRun = r;
      } else {
        dispose([res.centroids, res.labels]);
      }
    }
  } catch (err) {
    dispose([best?.centroids, best?.labels]);
    throw err;
  } finally {
    xSq.dispose();
  }
  const b = best!;
  const clusterSizes = sumAcross(tidy(() => Array.from(b.labels.bincount(opts.k).data() as BigInt64Array, Number)));
  // The returned tensors leave through no tidy(): un-keep them so the caller's scope owns them.
  b.centroids.kept = false;
  b.labels.kept = false;
  return { ...b, clusterSizes, runs, bestRun, chunkRows };
}
