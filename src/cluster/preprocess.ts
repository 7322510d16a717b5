// Feature preprocessing before k-means, as DeepCluster and ClusterFit do it: PCA to d
// dimensions, optional whitening, then L2 normalisation of each row. The fitted transform is
//   y = (x - mean) @ P,   P = V_d (PCA) or V_d diag(1 / sqrt(lambda + eps lambda_1)) (whitened),
//   y = y / max(||y||, 1e-12) (L2),
// where V_d holds the d leading eigenvectors of the sample covariance (normalised by N - 1, as
// scikit-learn's PCA) and lambda their eigenvalues. It is saved next to the centroids so that
// other data can be mapped into the same space for pseudo-labels.
import { type Tensor, tensor, zeros, empty, tidy, keep, linalg } from '../engine/index.js';
import { saveSafetensors, loadSafetensors } from '../io/safetensors.js';
import { forEachChunk } from './nearest.js';
import { sumAcross, sumTensorAcross } from './shard.js';
import { stagingChunkRows } from './features.js';

export interface PreprocessOptions {
  /** Project on the leading `pca` principal components (1..D). With `whiten` alone: all D. */
  pca?: number;
  /** Divide each component by the square root of its eigenvalue (unit variance). */
  whiten?: boolean;
  /** Scale each row to unit Euclidean norm (last). */
  l2?: boolean;
  /** Whitening regulariser, relative to the largest eigenvalue (default 1e-6). */
  eps?: number;
  /** Rows per chunk while fitting (default 16,384). */
  chunkRows?: number;
}

/** What a preprocessor does, as written to summary.json and the saved file. */
export interface PreprocessConfig {
  inputDim: number;
  outputDim: number;
  /** Number of principal components kept, or null without PCA. */
  pca: number | null;
  whiten: boolean;
  l2: boolean;
  eps: number;
  /** Share of the total variance in the kept components (null without PCA). */
  explainedVarianceRatio: number | null;
}

export const PREPROCESS_FORMAT = 'selfsup-preprocess';

export class Preprocessor {
  readonly config: PreprocessConfig;
  /** float32 [D], or null without PCA. */
  readonly mean: Tensor | null;
  /** float32 [D, d]: principal axes, scaled for whitening; null without PCA. */
  readonly projection: Tensor | null;
  /** float64 [d]: the kept eigenvalues, largest first; null without PCA. */
  readonly eigenvalues: Tensor | null;

  constructor(config: PreprocessConfig, tensors: { mean: Tensor; projection: Tensor; eigenvalues: Tensor } | null) {
    this.config = config;
    this.mean = tensors ? keep(tensors.mean) : null;
    this.projection = tensors ? keep(tensors.projection) : null;
    this.eigenvalues = tensors ? keep(tensors.eigenvalues) : null;
  }

  /** True when transform() would return the rows unchanged. */
  get isIdentity(): boolean {
    return this.projection === null && !this.config.l2;
  }

  /** A preprocessor that only L2-normalises (or does nothing) on D-dimensional rows. */
  static passThrough(dim: number, l2: boolean): Preprocessor {
    return new Preprocessor({ inputDim: dim, outputDim: dim, pca: null, whiten: false, l2, eps: 0, explainedVarianceRatio: null }, null);
  }

  /**
   * Fits the PCA (if asked) on the rows of x (float32 [N, D]). In a group of processes x is this
   * rank's rows: the sums and the covariance are summed across ranks, so every rank fits the same.
   */
  static fit(x: Tensor, opts: PreprocessOptions = {}): Preprocessor {
    if (x.ndim !== 2) throw new Error(`preprocess: the data must be an N x D matrix, got shape [${x.shape.join(', ')}]`);
    const [rows, dim] = x.shape as [number, number];
    const whiten = opts.whiten ?? false;
    const l2 = opts.l2 ?? false;
    const eps = opts.eps ?? 1e-6;
    if (opts.pca === undefined && !whiten) return Preprocessor.passThrough(dim, l2);
    const d = opts.pca ?? dim;
    if (!Number.isInteger(d) || d < 1 || d > dim) throw new Error(`preprocess: pca must be an integer in 1..${dim} (the feature dimension), got ${d}`);
    const n = sumAcross([rows])[0]!;
    if (n < 2) throw new Error(`preprocess: PCA needs at least 2 rows, got ${n}`);
    if (!(eps >= 0)) throw new Error(`preprocess: eps must be >= 0, got ${eps}`);
    const chunkRows = opts.chunkRows ?? stagingChunkRows(dim);
    const fitted = tidy(() => {
      // Mean in float64; covariance from float32 products of centred chunks, summed in float64.
      const sum = zeros([dim], { dtype: 'float64' });
      forEachChunk(rows, chunkRows, (s, b) => tidy(() => void sum.add_(x.narrow(0, s, b).to('float64').sum(0))));
      sumTensorAcross(sum);
      const mean = sum.div(n);
      const mean32 = mean.to('float32');
      const cov = zeros([dim, dim], { dtype: 'float64' });
      forEachChunk(rows, chunkRows, (s, b) =>
        tidy(() => {
          const c = x.narrow(0, s, b).sub(mean32);
          cov.add_(c.t().mm(c));
        }),
      );
      sumTensorAcross(cov);
      cov.div_(n - 1);
      const { eigenvalues, eigenvectors } = linalg.eigh(cov); // ascending
      const order = tensor(Int32Array.from({ length: d }, (_, i) => dim - 1 - i), { dtype: 'int64' });
      const lambda = eigenvalues.indexSelect(0, order).clamp(0, null); // [d], largest first
      let axes = eigenvectors.indexSelect(1, order); // [D, d]
      // Sign convention: each axis's largest-magnitude entry is positive (eigh's signs are arbitrary).
      const big = axes.abs().argmax(0, true); // [1, d]
      axes = axes.mul(axes.gather(0, big).sign().add(axes.gather(0, big).eq(0).to('float64')));
      const total = eigenvalues.clamp(0, null).sum().item();
      const ratio = total > 0 ? lambda.sum().item() / total : 1;
      const scale = whiten ? lambda.add(eps * Math.max(lambda.select(0, 0).item(), 0)).rsqrt() : null;
      if (scale !== null && !scale.isfinite().all().item()) {
        throw new Error('preprocess: cannot whiten: the data has no variance (all rows equal); drop --whiten or add eps');
      }
      const projection = (scale ? axes.mul(scale.unsqueeze(0)) : axes).to('float32').contiguous();
      return { mean: mean32, projection, eigenvalues: lambda, ratio };
    });
    return new Preprocessor(
      { inputDim: dim, outputDim: d, pca: d, whiten, l2, eps: whiten ? eps : 0, explainedVarianceRatio: fitted.ratio },
      { mean: fitted.mean, projection: fitted.projection, eigenvalues: fitted.eigenvalues },
    );
  }

  /** Maps one chunk of rows [B, D] to [B, d]. */
  transformChunk(x: Tensor): Tensor {
    if (x.ndim !== 2 || x.shape[1] !== this.config.inputDim) {
      throw new Error(`preprocess: expected rows of ${this.config.inputDim} features, got shape [${x.shape.join(', ')}]`);
    }
    return tidy(() => {
      let y = this.projection ? x.sub(this.mean!).mm(this.projection) : x.to('float32');
      if (this.config.l2) y = y.div(y.norm(2, 1, true).clamp(1e-12, null));
      return y.contiguous();
    });
  }

  /** Maps every row of x [N, D] (float32) to a new float32 [N, d] matrix, chunk by chunk. */
  transform(x: Tensor, opts: { chunkRows?: number } = {}): Tensor {
    const n = x.shape[0]!;
    const out = empty([n, this.config.outputDim]);
    forEachChunk(n, opts.chunkRows ?? stagingChunkRows(this.config.inputDim), (s, b) => tidy(() => void out.narrow(0, s, b).copy_(this.transformChunk(x.narrow(0, s, b)))));
    return out;
  }

  /** Writes the preprocessor as safetensors (tensors mean, projection, eigenvalues; config in the metadata). */
  save(path: string): void {
    const tensors: Record<string, Tensor> = {};
    if (this.projection) Object.assign(tensors, { mean: this.mean!, projection: this.projection, eigenvalues: this.eigenvalues! });
    saveSafetensors(path, tensors, { format: PREPROCESS_FORMAT, version: '1', config: JSON.stringify(this.config) });
  }

  static load(path: string): Preprocessor {
    const { tensors, metadata } = loadSafetensors(path);
    const fail = (why: string): never => {
      for (const t of tensors.values()) t.dispose();
      throw new Error(`${path}: not a selfsup preprocessor file: ${why}`);
    };
    if (metadata.format !== PREPROCESS_FORMAT) fail(`metadata format is '${metadata.format}', expected '${PREPROCESS_FORMAT}'`);
    let config: PreprocessConfig;
    try {
      config = JSON.parse(metadata.config ?? '') as PreprocessConfig;
    } catch {
      return fail('the config metadata is not JSON');
    }
    if (config.pca === null) return new Preprocessor(config, null);
    const mean = tensors.get('mean'), projection = tensors.get('projection'), eigenvalues = tensors.get('eigenvalues');
    if (!mean || !projection || !eigenvalues) return fail('mean, projection or eigenvalues missing');
    const [di, dd] = projection.shape;
    if (mean.shape[0] !== config.inputDim || di !== config.inputDim || dd !== config.outputDim) {
      return fail(`projection [${projection.shape.join(', ')}] / mean [${mean.shape.join(', ')}] do not match ${config.inputDim} -> ${config.outputDim}`);
    }
    return new Preprocessor(config, { mean, projection, eigenvalues });
  }

  dispose(): void {
    this.mean?.dispose();
    this.projection?.dispose();
    this.eigenvalues?.dispose();
  }
}
