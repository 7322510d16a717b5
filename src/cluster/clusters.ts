// A saved clustering: one folder with
//   centroids.npy            float32 K x D' (in the clustered space, after preprocessing)
//   assignments.npy          int64 N, each row's cluster
//   preprocess.safetensors   the fitted Preprocessor (identity when none was asked for)
//   summary.json             what was run and what came out (ClusterSummary)
//   manifest.json            the artifact manifest (src/artifacts/manifest.ts), written last
// written atomically (a temporary folder renamed into place).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Tensor, tensor } from '../engine/index.js';
import { replaceDirAtomicSync, writeFileAtomic } from '../io/atomic.js';
import { readNpy, writeNpy } from '../io/npy.js';
import { FORMATS, MANIFEST_FILE, checkFormat, findManifest, writeManifestFile, type Manifest } from '../artifacts/manifest.js';
import { Preprocessor, type PreprocessConfig } from './preprocess.js';

export const CENTROIDS_FILE = 'centroids.npy';
export const ASSIGNMENTS_FILE = 'assignments.npy';
export const PREPROCESS_FILE = 'preprocess.safetensors';
export const SUMMARY_FILE = 'summary.json';
export const CLUSTERS_FORMAT = FORMATS.clusters;
/** 2: the folder has an artifact manifest (manifest.json); 1 (read too): summary.json only. */
export const CLUSTERS_VERSION = 2;

export interface ClusterSummary {
  format: typeof CLUSTERS_FORMAT;
  version: number;
  features: string;
  /** Rows clustered and their dimension before / after preprocessing. */
  n: number;
  dim: number;
  clusteredDim: number;
  k: number;
  seed: number;
  init: string;
  nInit: number;
  maxIter: number;
  tol: number;
  miniBatch: number | null;
  /** Rows per distance chunk; pseudo-labels made with the same value are bit-identical. */
  chunkRows: number;
  preprocessing: PreprocessConfig;
  /** Sum of squared distances of the rows to their centroids, in the clustered space. */
  inertia: number;
  iterations: number;
  converged: boolean;
  inertiaHistory: number[];
  runs: { seed: number; inertia: number; iterations: number; converged: boolean; reseeded: number; seconds: number }[];
  bestRun: number;
  clusterSizes: number[];
  emptyClusters: number;
  /** Present when true labels were given. */
  labels?: { cache: string; classes: number; nmi: number; ari: number; purity: number };
  threads: number;
  seconds: { load: number; preprocess: number; kmeans: number; total: number };
  created: string;
}

/** Writes a clustering folder atomically; `dir` is replaced only when every file is written. */
export function writeClusters(dir: string, c: { centroids: Tensor; labels: Tensor; preprocessor: Preprocessor; summary: ClusterSummary; manifest?: Manifest }): void {
  const [k, d] = c.centroids.shape as [number, number];
  const centroids = c.centroids.to('float32');
  const labels = c.labels.to('int64');
  try {
    const centroidData = centroids.data() as Float32Array;
    const labelData = labels.data() as BigInt64Array;
    replaceDirAtomicSync(dir, (tmp) => {
      writeNpy(join(tmp, CENTROIDS_FILE), centroidData, [k, d]);
      writeNpy(join(tmp, ASSIGNMENTS_FILE), labelData, [labelData.length]);
      c.preprocessor.save(join(tmp, PREPROCESS_FILE));
      writeFileAtomic(join(tmp, SUMMARY_FILE), `${JSON.stringify(c.summary, null, 2)}\n`);
      if (c.manifest) writeManifestFile(join(tmp, MANIFEST_FILE), c.manifest);
    });
  } finally {
    centroids.dispose();
    labels.dispose();
  }
}

export interface LoadedClusters {
  dir: string;
  /** float32 [K, D']; dispose with the preprocessor when done. */
  centroids: Tensor;
  preprocessor: Preprocessor;
  summary: ClusterSummary;
  /** The clustering's content key (null for a folder written before manifests). */
  key: string | null;
}

/** Reads a folder written by writeClusters (or `selfsup cluster`). */
export function loadClusters(dir: string): LoadedClusters {
  const summaryPath = join(dir, SUMMARY_FILE);
  let summary: ClusterSummary;
  try {
    summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as ClusterSummary;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${dir}: not a clustering folder (no ${SUMMARY_FILE}; run 'selfsup cluster' first)`);
    throw new Error(`${summaryPath}: cannot read: ${(e as Error).message}`);
  }
  checkFormat(summary, summaryPath, CLUSTERS_FORMAT, CLUSTERS_VERSION);
  const manifest = findManifest(dir);
  if (manifest) checkFormat(manifest, join(dir, MANIFEST_FILE), CLUSTERS_FORMAT, CLUSTERS_VERSION);
  const c = readNpy(join(dir, CENTROIDS_FILE));
  if (c.dtype !== 'float32' || c.shape.length !== 2) {
    throw new Error(`${join(dir, CENTROIDS_FILE)}: expected a float32 K x D matrix, got ${c.dtype} [${c.shape.join(', ')}]`);
  }
  const preprocessor = Preprocessor.load(join(dir, PREPROCESS_FILE));
  if (preprocessor.config.outputDim !== c.shape[1]) {
    preprocessor.dispose();
    throw new Error(`${dir}: the preprocessor gives ${preprocessor.config.outputDim} dimensions but the centroids have ${c.shape[1]}`);
  }
  return { dir, centroids: tensor(c.data as Float32Array, { shape: c.shape }), preprocessor, summary, key: manifest?.key ?? null };
}

/** Pseudo-labels as int32, from a clustering folder or a labels file, with where they came from. */
export function readPseudoLabels(path: string): { labels: Int32Array; file: string; k: number } {
  const p = resolve(path);
  if (!existsSync(p)) throw new Error(`${path}: no such clustering folder or labels file`);
  const file = statSync(p).isDirectory() ? join(p, ASSIGNMENTS_FILE) : p;
  if (!existsSync(file)) throw new Error(`${path}: not a clustering folder (no ${ASSIGNMENTS_FILE}); run 'selfsup cluster' first`);
  const a = readNpy(file);
  if (a.shape.length !== 1 || (a.dtype !== 'int64' && a.dtype !== 'int32')) {
    throw new Error(`${file}: expected a 1-D int64 array of cluster indices, got ${a.dtype} [${a.shape.join(', ')}]`);
  }
  const labels = new Int32Array(a.shape[0]!);
  for (let i = 0; i < labels.length; i++) {
    const v = Number(a.data[i]!);
    if (!(Number.isInteger(v) && v >= 0)) throw new Error(`${file}: entry ${i} is ${v}, not a cluster index`);
    labels[i] = v;
  }
  let k = labels.reduce((m, v) => Math.max(m, v + 1), 0);
  // A clustering folder knows K even when some cluster ended up with no image.
  const summary = statSync(p).isDirectory() ? join(p, SUMMARY_FILE) : null;
  if (summary && existsSync(summary)) k = Math.max(k, (JSON.parse(readFileSync(summary, 'utf8')) as { k?: number }).k ?? 0);
  return { labels, file, k };
}
