// `selfsup cluster`: k-means on a features .npy file (optionally PCA / whitening / L2 first),
// and `selfsup cluster assign`: pseudo-labels for another features file from saved centroids.
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { intArg, floatArg } from './args.js';
import { getNumThreads } from '../engine/index.js';
import { openCache } from '../data/cache/index.js';
import { readNpy } from '../io/npy.js';
import { progress, type Progress } from '../train/progress.js';
import {
  kmeans,
  Preprocessor,
  loadFeatures,
  featuresHeader,
  writeClusters,
  loadClusters,
  pseudoLabelFile,
  clusterScores,
  defaultChunkRows,
  type KMeansInit,
  type KMeansProgress,
  type ClusterSummary,
} from '../cluster/index.js';

interface ClusterCli {
  features: string;
  k: number;
  pca?: number;
  whiten?: boolean;
  l2?: boolean;
  iters?: number;
  nInit: number;
  init: KMeansInit;
  miniBatch?: number;
  tol: number;
  seed: number;
  out: string;
  labels?: string;
  quiet?: boolean;
}

interface AssignCli {
  clusters: string;
  features: string;
  out: string;
  labels?: string;
  quiet?: boolean;
}

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

async function runCluster(o: ClusterCli): Promise<void> {
  const t0 = performance.now();
  const featuresPath = resolve(o.features);
  const out = resolve(o.out);
  const header = featuresHeader(featuresPath);
  if (o.k > header.rows) throw new Error(`--k ${o.k} is more than the ${header.rows} rows of ${featuresPath}`);
  if (o.pca !== undefined && o.pca > header.dim) throw new Error(`--pca ${o.pca} is more than the ${header.dim} feature dimensions of ${featuresPath}`);
  const truth = o.labels !== undefined ? cacheLabels(resolve(o.labels), header.rows, featuresPath) : undefined;
  const say = (line: string) => !o.quiet && process.stderr.write(`${line}\n`);

  say(`loading ${featuresPath}: ${header.rows} x ${header.dim} ${header.dtype}`);
  const x = loadFeatures(featuresPath);
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
      onProgress: kmeansReporter(o.quiet ?? false),
    });
    const tKmeans = secondsSince(t2);
    try {
      let labels: ClusterSummary['labels'];
      if (truth) {
        const pred = result.labels.data() as BigInt64Array;
        labels = { cache: resolve(o.labels!), classes: truth.classes, ...clusterScores(truth.labels, pred) };
      }
      const summary: ClusterSummary = {
        format: 'selfsup-clusters',
        version: 1,
        features: featuresPath,
        n: header.rows,
        dim: header.dim,
        clusteredDim: data.shape[1]!,
        k: o.k,
        seed: o.seed,
        init: o.init,
        nInit: o.nInit,
        maxIter: o.iters ?? (o.miniBatch ? 100 : 300),
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
      writeClusters(out, { centroids: result.centroids, labels: result.labels, preprocessor: pre, summary });
      const sizes = [...result.clusterSizes].sort((a, b) => a - b);
      console.log(`clusters   ${o.k} on ${header.rows} x ${summary.clusteredDim} (${describe(pre)})`);
      console.log(`inertia    ${result.inertia.toPrecision(8)} after ${result.iterations} iterations${result.converged ? ' (converged)' : ''}, best of ${o.nInit} run${o.nInit === 1 ? '' : 's'}`);
      console.log(`sizes      min ${sizes[0]}, median ${sizes[Math.floor(sizes.length / 2)]}, max ${sizes[sizes.length - 1]}`);
      if (labels) console.log(`vs labels  NMI ${labels.nmi.toFixed(4)}, ARI ${labels.ari.toFixed(4)}, purity ${labels.purity.toFixed(4)} (${labels.classes} classes)`);
      console.log(`time       ${summary.seconds.total.toFixed(1)} s (k-means ${tKmeans.toFixed(1)} s, ${summary.threads} threads)`);
      console.log(`written    ${out}`);
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

function describe(p: Preprocessor): string {
  const c = p.config;
  const parts: string[] = [];
  if (c.pca !== null) parts.push(`PCA ${c.inputDim} -> ${c.pca}${c.explainedVarianceRatio !== null ? ` (${(100 * c.explainedVarianceRatio).toFixed(1)}% of the variance)` : ''}`);
  if (c.whiten) parts.push('whitened');
  if (c.l2) parts.push('L2-normalised');
  return parts.length ? parts.join(', ') : 'no preprocessing';
}

function runAssign(o: AssignCli): void {
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
    console.log(`labelled   ${r.n} rows of ${featuresPath} with ${clusters.summary.k} clusters from ${clusters.dir} (${used} used)`);
    if (truth) {
      const pred = readNpy(resolve(o.out)).data as BigInt64Array;
      const s = clusterScores(truth.labels, pred);
      console.log(`vs labels  NMI ${s.nmi.toFixed(4)}, ARI ${s.ari.toFixed(4)}, purity ${s.purity.toFixed(4)} (${truth.classes} classes)`);
    }
    console.log(`time       ${secondsSince(t0).toFixed(1)} s`);
    console.log(`written    ${resolve(o.out)}`);
  } finally {
    clusters.centroids.dispose();
    clusters.preprocessor.dispose();
  }
}

export function clusterCommand(): Command {
  const cluster = new Command('cluster').description(
    'k-means on features (`selfsup cluster --features F --k K --out DIR`, i.e. `cluster run`) and pseudo-labels from saved centroids (`cluster assign`)',
  );

  cluster
    .command('run', { isDefault: true })
    .description('k-means on a features .npy file (N x D): writes assignments, centroids, the preprocessor and summary.json to --out')
    .requiredOption('--features <file.npy>', 'N x D float32/float64 features')
    .requiredOption('--k <clusters>', 'number of clusters', intArg('--k'))
    .requiredOption('--out <dir>', 'output folder (replaced atomically when complete)')
    .option('--pca <d>', 'first project on the d leading principal components', intArg('--pca'))
    .option('--whiten', 'divide each principal component by its standard deviation (implies PCA; all dimensions without --pca)')
    .option('--l2', 'scale each row to unit length (after PCA/whitening)')
    .option('--iters <n>', 'most Lloyd iterations per run (default 300; mini-batch: epochs, default 100)', intArg('--iters'))
    .option('--n-init <r>', 'runs from different initialisations; the lowest inertia is kept', intArg('--n-init'), 1)
    .addOption(new Option('--init <method>', 'initialisation').choices(['k-means++', 'random']).default('k-means++'))
    .option('--mini-batch <b>', 'mini-batch k-means with batches of b rows (for data too big for full iterations)', intArg('--mini-batch'))
    .option('--tol <t>', 'stop when the centroids move less than t x the mean feature variance (0: only when no label changes)', floatArg('--tol'), 1e-4)
    .option('--seed <s>', 'seed of every random choice', intArg('--seed', 0), 0)
    .option('--labels <cache>', 'a labeled cache from `selfsup data prepare` with the same images in the same order: adds NMI, ARI and purity')
    .option('--quiet', 'no progress on stderr')
    .action(async (o: ClusterCli) => {
      if (o.tol < 0) throw new Error(`--tol must be >= 0, got ${o.tol}`);
      await runCluster(o);
    });

  cluster
    .command('assign')
    .description('pseudo-labels: the nearest saved centroid of every row of a features file, after the saved preprocessing')
    .requiredOption('--clusters <dir>', 'a folder written by `selfsup cluster`')
    .requiredOption('--features <file.npy>', 'N x D features with the dimension the clusters were made on')
    .requiredOption('--out <file.npy>', 'where to write the int64 labels (atomically)')
    .option('--labels <cache>', 'a labeled cache with the same images: prints NMI, ARI and purity')
    .option('--quiet', 'no progress bar')
    .action((o: AssignCli) => runAssign(o));

  return cluster;
}
