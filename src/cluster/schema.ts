// The options of `selfsup cluster` (k-means) and `selfsup cluster assign` (pseudo-labels).
import { z } from 'zod';
import { deviceField, field } from '../util/options.js';

export const KMEANS_INITS = ['k-means++', 'random'] as const;

export const clusterSchema = z.strictObject({
  features: field(z.string(), { description: 'N x D float32/float64 features', role: 'input', arg: 'file.npy' }),
  k: field(z.int().min(1), { description: 'number of clusters', arg: 'clusters' }),
  out: field(z.string(), { description: 'output folder (replaced atomically when complete)', role: 'output', arg: 'dir' }),
  pca: field(z.int().min(1).optional(), { description: 'first project on the d leading principal components', arg: 'd' }),
  whiten: field(z.boolean().default(false), { description: 'divide each principal component by its standard deviation (implies PCA; all dimensions without --pca)' }),
  l2: field(z.boolean().default(false), { description: 'scale each row to unit length (after PCA/whitening)' }),
  iters: field(z.int().min(1).optional(), { description: 'most Lloyd iterations per run (mini-batch: epochs)', defaultText: '300; mini-batch 100', arg: 'n' }),
  // One k-means++ run, as scikit-learn's n_init='auto' does for k-means++: restarts rarely change
  // the clustering of features much and each costs a whole run.
  nInit: field(z.int().min(1).default(1), { description: 'runs from different initialisations; the lowest inertia is kept', arg: 'r' }),
  init: field(z.enum(KMEANS_INITS).default('k-means++'), { description: 'initialisation', arg: 'method' }),
  miniBatch: field(z.int().min(1).optional(), { description: 'mini-batch k-means with batches of b rows (for data too big for full iterations)', arg: 'b' }),
  tol: field(z.number().min(0).default(1e-4), { description: 'stop when the centroids move less than t x the mean feature variance (0: only when no label changes)', arg: 't' }),
  seed: field(z.int().min(0).default(0), { description: 'seed of every random choice', arg: 's' }),
  labels: field(z.string().optional(), {
    description: 'a labeled cache from `selfsup data prepare` with the same images in the same order: adds NMI, ARI and purity', role: 'input', arg: 'cache',
  }),
  device: deviceField('where k-means runs (CPU: the fused kernel; CUDA: tensor ops)', '; the features are read and preprocessed (PCA, whitening, L2) on the CPU'),
  quiet: field(z.boolean().default(false), { description: 'no progress on stderr', role: 'control' }),
});

export const assignSchema = z.strictObject({
  clusters: field(z.string(), { description: 'a folder written by `selfsup cluster`', role: 'input', arg: 'dir' }),
  features: field(z.string(), { description: 'N x D features with the dimension the clusters were made on', role: 'input', arg: 'file.npy' }),
  out: field(z.string(), { description: 'where to write the int64 labels (atomically)', role: 'output', arg: 'file.npy' }),
  labels: field(z.string().optional(), { description: 'a labeled cache with the same images: prints NMI, ARI and purity', role: 'input', arg: 'cache' }),
  quiet: field(z.boolean().default(false), { description: 'no progress bar', role: 'control' }),
});

export type ClusterStageOptions = z.input<typeof clusterSchema>;
export type AssignStageOptions = z.input<typeof assignSchema>;
