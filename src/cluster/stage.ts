// The clustering stages: k-means on a features file into a clustering folder (clusterStage), and
// pseudo-labels of a features file from saved centroids (assignStage). Progress goes to stderr;
// the caller prints the result.
import { resolve } from 'node:path';
import { getNumThreads, resolveDevice, tidy } from '../engine/index.js';
import { openCache } from '../data/cache/index.js';
import { readNpy } from '../io/npy.js';
import { progress, type Progress } from '../util/progress.js';
import { configOf, parseOptions } from '../util/options.js';
import { FORMATS, inputRef, makeManifest, writeManifestFile, type Manifest } from '../artifacts/manifest.js';
import { defaultMaxIter, kmeans, type KMeansProgress } from './kmeans.js';
import { Preprocessor } from './preprocess.js';
import { loadFeatures, featuresHeader } from './features.js';
import { writeClusters, loadClusters, CLUSTERS_FORMAT, CLUSTERS_VERSION, type ClusterSummary } from './clusters.js';
import { pseudoLabelFile } from './assign.js';
import { clusterScores, type ClusterScores } from './metrics.js';
import { defaultChunkRows } from './nearest.js';
import { labelsFromAll, shardRange } from './shard.js';
import { checkSameOnAllRanks, isMain, rank, worldSize } from '../distributed/index.js';
import { assignSchema, clusterSchema, type AssignStageOptions, type ClusterStageOptions } from './schema.js';

export const PSEUDO_LABELS_VERSION = 1;

/** True labels of a prepared cache, checked against the number of feature rows. */
function cacheLabels(dir: string, rows: number, featuresPath: string): { labels: Int32Array; classes: number } {
  const cache = openCache(dir);
  try {
    if (cache.labels === null) throw new Error(`--labels ${dir}: the cache has no labels (it was prepared unlabeled)`);
    if (cache.count !== rows) {
      throw new Error(`--labels ${dir}: the cache has ${cache.count} images but ${featuresPath} has ${rows} rows; they must match one to one`);
    }
    return { labels: cache.labels, classes: cache.classNames?.length ?? new Set(cache.labels).size };
  } finally {
    cache.close();
  }
}

const secondsSince = (t0: number) => (performance.now() - t0) / 1000;

/** Progress on stderr: a line per phase, a bar of iterations per run. */
function kmeansReporter(quiet: boolean): (e: KMeansProgress) => void {
  let bar: Progress | undefined;
  return (e) => {
    if (quiet) return;
    const run = `run ${e.run + 1}/${e.nInit}`;
    if (e.phase === 'init') {
      process.stderr.write(`${run}: initialising\n`);
      bar = progress(`k-means ${run}`, e.maxIter, { unit: 'it' });
    } else if (e.phase === 'iteration') {
      bar?.tick(1, { inertia: e.inertia ?? 0, ...(e.changed !== undefined ? { changed: e.changed } : {}) });
    } else {
      bar?.stop();
      bar = undefined;
      process.stderr.write(`${run}: inertia ${e.inertia?.toPrecision(8)} after ${e.iteration} iterations\n`);
    }
  };
}

export interface ClusterResult {
  out: string;
  summary: ClusterSummary;
  manifest: Manifest;
  /** The preprocessing in words, e.g. 'PCA 4096 -> 64 (81.2% of the variance), whitened'. */
  preprocessing: string;
}

/**
 * k-means on a features file (after optional PCA / whitening / L2) into a clustering folder.
 * In a group of processes each rank loads its contiguous rows [r N / W, (r + 1) N / W), the
 * fitting and k-means reduce across ranks, and rank 0 alone writes the folder.
 */
export async function clusterStage(options: ClusterStageOptions): Promise<ClusterResult> {
  const o = parseOptions(clusterSchema, options);
  const device = resolveDevice(o.device); // before anything is written
  const started = new Date().toISOString();
  const t0 = performance.now();
  const featuresPath = resolve(o.features);
  const out = resolve(o.out);
  const header = featuresHeader(featuresPath);
  if (o.k > header.rows) throw new Error(`--k ${o.k} is more than the ${header.rows} rows of ${featuresPath}`);
  if (o.pca !== undefined && o.pca > header.dim) throw new Error(`--pca ${o.pca} is more than the ${header.dim} feature dimensions of ${featuresPath}`);
  const truth = o.labels !== undefined ? cacheLabels(resolve(o.labels), header.rows, featuresPath) : undefined;
  const say = (line: string) => void (!o.quiet && isMain() && process.stderr.write(`${line}\n`));
  checkSameOnAllRanks('the cluster config', JSON.stringify({ ...configOf(clusterSchema, o), features: featuresPath, rows: header.rows, dim: header.dim }));
  const { start, end } = shardRange(header.rows);
  const shard = { start, rows: end - start, total: header.rows };

  say(`loading ${featuresPath}: ${header.rows} x ${header.dim} ${header.dtype}${worldSize() > 1 ? `, ${worldSize()} processes (rank ${rank()}: rows ${start}..${end - 1})` : ''}`);
  const x = loadFeatures(featuresPath, { start, count: shard.rows });
  const tLoad = secondsSince(t0);
  const chunkRows = defaultChunkRows(o.k);
  const t1 = performance.now();
  let pre: Preprocessor | undefined;
  let data = x;
  try {
    pre = Preprocessor.fit(x, { pca: o.pca, whiten: o.whiten, l2: o.l2 });
    if (!pre.isIdentity) {
      say(`preprocessing: ${describe(pre)}`);
      data = pre.transform(x, { chunkRows });
      x.dispose();
    }
    if (device !== 'cpu') {
      const moved = data.to(device);
      data.dispose();
      data = moved;
    }
    const tPre = secondsSince(t1);
    const t2 = performance.now();
    const result = kmeans(data, {
      k: o.k,
      init: o.init,
      nInit: o.nInit,
      maxIter: o.iters,
      tol: o.tol,
      seed: o.seed,
      miniBatch: o.miniBatch,
      chunkRows,
      shard,
      onProgress: kmeansReporter((o.quiet ?? false) || !isMain()),
    });
    const tKmeans = secondsSince(t2);
    const found = { centroids: result.centroids, labels: result.labels };
    // int64 [N] in row order, and the centroids, on the CPU.
    [result.labels, result.centroids] = tidy(() => [labelsFromAll(found.labels, shard).to('cpu'), found.centroids.to('cpu')]);
    found.labels.dispose();
    found.centroids.dispose();
    try {
      let labels: ClusterSummary['labels'];
      if (truth) {
        const pred = result.labels.data() as BigInt64Array;
        labels = { cache: resolve(o.labels!), classes: truth.classes, ...clusterScores(truth.labels, pred) };
      }
      const summary: ClusterSummary = {
        format: CLUSTERS_FORMAT,
        version: CLUSTERS_VERSION,
        features: featuresPath,
        n: header.rows,
        dim: header.dim,
        clusteredDim: data.shape[1]!,
        k: o.k,
        seed: o.seed,
        init: o.init,
        nInit: o.nInit,
        maxIter: o.iters ?? defaultMaxIter(o.miniBatch),
        tol: o.tol,
        miniBatch: o.miniBatch ?? null,
        chunkRows,
        preprocessing: pre.config,
        inertia: result.inertia,
        iterations: result.iterations,
        converged: result.converged,
        inertiaHistory: result.inertiaHistory,
        runs: result.runs.map((r) => ({ seed: r.seed, inertia: r.inertia, iterations: r.iterations, converged: r.converged, reseeded: r.reseeded, seconds: r.seconds })),
        bestRun: result.bestRun,
        clusterSizes: result.clusterSizes,
        emptyClusters: result.clusterSizes.filter((s) => s === 0).length,
        labels,
        threads: getNumThreads(),
        seconds: { load: tLoad, preprocess: tPre, kmeans: tKmeans, total: 0 },
        created: new Date().toISOString(),
      };
      summary.seconds.total = secondsSince(t0);
      const inputs = { features: inputRef(featuresPath), ...(o.labels !== undefined ? { labels: inputRef(o.labels) } : {}) };
      const manifest = makeManifest({
        format: CLUSTERS_FORMAT, version: CLUSTERS_VERSION, stage: 'cluster', config: configOf(clusterSchema, o), inputs, created: started,
        extra: { k: o.k, n: header.rows, inertia: result.inertia, clusterSizes: result.clusterSizes, ...(labels ? { labels } : {}) },
      });
      if (isMain()) writeClusters(out, { centroids: result.centroids, labels: result.labels, preprocessor: pre, summary, manifest });
      return { out, summary, manifest, preprocessing: describe(pre) };
    } finally {
      result.centroids.dispose();
      result.labels.dispose();
    }
  } finally {
    data.dispose();
    x.dispose();
    pre?.dispose();
  }
}

export function describe(p: Preprocessor): string {
  const c = p.config;
  const parts: string[] = [];
  if (c.pca !== null) parts.push(`PCA ${c.inputDim} -> ${c.pca}${c.explainedVarianceRatio !== null ? ` (${(100 * c.explainedVarianceRatio).toFixed(1)}% of the variance)` : ''}`);
  if (c.whiten) parts.push('whitened');
  if (c.l2) parts.push('L2-normalised');
  return parts.length ? parts.join(', ') : 'no preprocessing';
}

export interface AssignResult {
  out: string;
  /** Rows labelled, clusters, and clusters that got at least one row. */
  n: number;
  k: number;
  used: number;
  clustersDir: string;
  featuresPath: string;
  /** Against true labels, when a labeled cache was given. */
  scores?: ClusterScores & { classes: number };
  seconds: number;
  manifest: Manifest;
}

/** The nearest saved centroid of every row of a features file, after the saved preprocessing. */
export function assignStage(options: AssignStageOptions): AssignResult {
  const o = parseOptions(assignSchema, options);
  const started = new Date().toISOString();
  const t0 = performance.now();
  const clusters = loadClusters(resolve(o.clusters));
  try {
    const featuresPath = resolve(o.features);
    const header = featuresHeader(featuresPath);
    const truth = o.labels !== undefined ? cacheLabels(resolve(o.labels), header.rows, featuresPath) : undefined;
    const bar = progress('assign', header.rows, { unit: 'rows', quiet: o.quiet });
    let done = 0;
    const r = pseudoLabelFile(featuresPath, { ...clusters, chunkRows: clusters.summary.chunkRows }, resolve(o.out), {
      onChunk: (rows) => {
        bar.tick(rows - done);
        done = rows;
      },
    });
    bar.stop();
    const used = r.clusterSizes.filter((s) => s > 0).length;
    const out = resolve(o.out);
    let scores: AssignResult['scores'];
    if (truth) {
      const pred = readNpy(out).data as BigInt64Array;
      scores = { ...clusterScores(truth.labels, pred), classes: truth.classes };
    }
    const inputs = { clusters: inputRef(clusters.dir), features: inputRef(featuresPath), ...(o.labels !== undefined ? { labels: inputRef(o.labels) } : {}) };
    const manifest = writeManifestFile(`${out}.json`, makeManifest({
      format: FORMATS.pseudoLabels, version: PSEUDO_LABELS_VERSION, stage: 'cluster assign', config: configOf(assignSchema, o), inputs, created: started,
      extra: { n: r.n, k: clusters.summary.k, clusterSizes: r.clusterSizes, ...(scores ? { scores } : {}) },
    }));
    return { out, n: r.n, k: clusters.summary.k, used, clustersDir: clusters.dir, featuresPath, scores, seconds: secondsSince(t0), manifest };
  } finally {
    clusters.centroids.dispose();
    clusters.preprocessor.dispose();
  }
}

