// Functions of several tensors (PyTorch's torch.* namespace).
import { N, type Handle } from './native.js';
import { Tensor, type TensorOrScalar } from './tensor.js';

const handles = (ts: Tensor[]): Handle[] => ts.map((t) => t.handle);
const h = (x: TensorOrScalar) => (x instanceof Tensor ? x.handle : x);

export const cat = (tensors: Tensor[], dim = 0): Tensor => new Tensor(N.cat(handles(tensors), dim));
export const stack = (tensors: Tensor[], dim = 0): Tensor => new Tensor(N.stack(handles(tensors), dim));
/** Elements of a where cond is true, else of b. */
export const where = (cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor =>
  new Tensor(N.where(cond.handle, h(a), h(b)));
export const matmul = (a: Tensor, b: Tensor): Tensor => a.matmul(b);
/** beta * bias + alpha * (a @ b) */
export const addmm = (bias: Tensor, a: Tensor, b: Tensor, beta = 1, alpha = 1): Tensor =>
  new Tensor(N.addmm(bias.handle, a.handle, b.handle, beta, alpha));
/** Pairwise p-norm distances: a [.., P, M], b [.., R, M] -> [.., P, R]. */
export const cdist = (a: Tensor, b: Tensor, p = 2): Tensor => new Tensor(N.cdist(a.handle, b.handle, p));

export const linalg = {
  /** Eigen-decomposition of a symmetric matrix: eigenvalues ascending, eigenvectors as columns. */
  eigh(a: Tensor): { eigenvalues: Tensor; eigenvectors: Tensor } {
    const [w, v] = N.eigh(a.handle);
    return { eigenvalues: new Tensor(w), eigenvectors: new Tensor(v) };
  },
  /** a = U diag(S) Vh. */
  svd(a: Tensor, fullMatrices = false): { U: Tensor; S: Tensor; Vh: Tensor } {
    const [u, s, vh] = N.svd(a.handle, fullMatrices);
    return { U: new Tensor(u), S: new Tensor(s), Vh: new Tensor(vh) };
  },
};

/** The fused loops of k-means (native/src/cluster.cc); all tensors contiguous, on the CPU. */
export const clusterKernels = {
  /**
   * For x [B, D] float32: labels[i] (int64 [B]) = the nearest centroid, the first c maximising
   * x.c - ||c||^2 / 2 given cT [D, K] and halfSqNorm [K] = ||c||^2 / 2; sqDist[i] (float32 [B])
   * = ||x||^2 - 2 max, clamped at 0. xSq ([B], ||x||^2) is computed when not given. With sums
   * (float64 [K, D]) and counts (int64 [K]), adds each row to its cluster's sum and count.
   * Writes in place; returns the float64 sum of sqDist.
   */
  nearestCentroidsInto(
    x: Tensor, xSq: Tensor | undefined, cT: Tensor, halfSqNorm: Tensor, labels: Tensor, sqDist: Tensor,
    acc?: { sums: Tensor; counts: Tensor },
  ): number {
    return N.nearestCentroidsInto(x.handle, xSq?.handle ?? null, cT.handle, halfSqNorm.handle, labels.handle, sqDist.handle,
      acc?.sums.handle ?? null, acc?.counts.handle ?? null);
  },
  /** Sum over rows of ||x_i - centroids[labels_i]||^2 (x [N, D], centroids [K, D] float32, labels int64 [N]) in float64. */
  assignedSqDistanceSum(x: Tensor, centroids: Tensor, labels: Tensor): number {
    return N.assignedSqDistanceSum(x.handle, centroids.handle, labels.handle);
  },
};
