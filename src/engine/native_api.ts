// The native addon's functions (native/src/*.cc), each declared once with its types, one
// interface per .cc file. Arguments follow the bindings' conventions:
//   - tensors are opaque Handles; `Handle | null` is an optional tensor (null: none given);
//   - shapes, dims, kernel sizes and pads are arrays of integers (Ints() in handle.cc);
//   - dtypes are codes, the index in DTYPES of dtype.ts; devices are 'cpu', 'cuda' or 'cuda:N';
//   - scalars (ScalarOf()) are numbers or booleans; integral numbers act as Python ints;
//   - integer arguments must be integral numbers (Int()); flags are booleans.
// Every binding throws a JS Error "name(argument shapes): message", a TypeError for a
// bad argument. NATIVE_FUNCTIONS lists the same names at run time, grouped alike.
import type { DTypeCode } from './dtype.js';

/** Opaque handle to a native tensor. */
export type Handle = { readonly __handle: unique symbol };

/** A device the bindings accept (DeviceOf in handle.cc); any other string is a TypeError. */
export type NativeDevice = 'cpu' | 'cuda' | `cuda:${number}`;
/** A scalar argument: integral numbers are integer scalars, booleans bool scalars. */
export type NativeScalar = number | boolean;
/** A tensor or a scalar, for the ops that take either as their other operand. */
export type HandleOrScalar = Handle | NativeScalar;
/** A list of integers. Ints() also takes a bare number as a one-element list; `number | Ints` says where callers use that. */
export type Ints = readonly number[];
/** Loss reductions (nn.cc): 0 none, 1 mean, 2 sum. */
export type ReductionCode = 0 | 1 | 2;
/** gridSample's interpolation: 0 bilinear, 1 nearest, 2 bicubic. */
export type GridSampleMode = 0 | 1 | 2;
/** gridSample's padding: 0 zeros, 1 border, 2 reflection. */
export type GridSamplePadding = 0 | 1 | 2;
/** The typed arrays fromData copies from (any typed array; its bytes must fill the shape). */
export type NativeTypedArray =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray;

/** memory(): accounting of the live handles. */
export interface NativeMemory {
  liveTensors: number;
  liveBytes: number;
  peakBytes: number;
  liveStorages: number;
  /** V8's running total of external memory (this addon's reports and any other's). */
  externalBytes: number;
}

/** buildInfo(): the libtorch the addon was built against. */
export interface NativeBuildInfo {
  torchVersion: string;
  config: string;
  parallel: string;
  cuda: boolean;
  /** Whether the addon itself was compiled with OpenMP (its kernels' at::parallel_for runs on several threads). */
  openmp: boolean;
  /** Rows per block of the fused k-means kernel. */
  kmeansBlockRows: number;
}

/** handle.cc: handle lifetime, metadata, reading values back, and process-wide state. */
export interface HandleOps {
  /** Releases the tensor now; the handle stays, and ops given it throw. Safe on a disposed handle. */
  dispose(t: Handle): void;
  isDisposed(t: Handle): boolean;
  shape(t: Handle): number[];
  /** The dtype code; -1 for a dtype outside DTYPES. */
  dtype(t: Handle): DTypeCode | -1;
  /** 'cpu' or 'cuda:N'. */
  device(t: Handle): NativeDevice;
  numel(t: Handle): number;
  dim(t: Handle): number;
  stride(t: Handle): number[];
  isContiguous(t: Handle): boolean;
  isChannelsLast(t: Handle): boolean;
  /** A copy of the values (contiguous, row-major); float16/bfloat16 come back as float32, bool as uint8. */
  data(t: Handle): ArrayBuffer;
  /** A copy of the values' bytes exactly as stored, any dtype. */
  rawData(t: Handle): ArrayBuffer;
  /** The value of a one-element tensor: a boolean for bool tensors. */
  item(t: Handle): number | boolean;
  memory(): NativeMemory;
  /** n >= 1 */
  setNumThreads(n: number): void;
  /** glibc's malloc_trim(0): true if memory was given back (always false without glibc). */
  mallocTrim(): boolean;
  getNumThreads(): number;
  /** A non-negative integer. */
  manualSeed(seed: number): void;
  /** Deterministic kernels only (ops without one throw), deterministic cuDNN. */
  setDeterministic(on: boolean): void;
  isDeterministic(): boolean;
  /** The CPU generator's state as a uint8 tensor. */
  getRngState(): Handle;
  /** state: a tensor from getRngState(). */
  setRngState(state: Handle): void;
  setGradEnabled(on: boolean): void;
  isGradEnabled(): boolean;
  /** torch.autocast('cpu', dtype) on for the ops that follow; returns whether it was on. */
  autocastEnter(dtype: number): boolean;
  /** Leaves the region autocastEnter opened (wasOn: its return). */
  autocastExit(wasOn: boolean): void;
  cudaDeviceCount(): number;
  buildInfo(): NativeBuildInfo;
}

/**
 * create.cc: tensors from data, constants, ranges and random numbers; copies and casts.
 * Factories end in (dtype, device); device null is the CPU.
 */
export interface CreateOps {
  /**
   * A tensor of `shape` from the bytes of `data`, read as `srcDtype` (data's byte length must be
   * exactly the shape's), then cast to `dstDtype` and moved to `device`.
   */
  fromData(data: NativeTypedArray, shape: Ints, srcDtype: DTypeCode, dstDtype: DTypeCode, device: NativeDevice | null): Handle;
  empty(shape: Ints, dtype: DTypeCode, device: NativeDevice | null): Handle;
  zeros(shape: Ints, dtype: DTypeCode, device: NativeDevice | null): Handle;
  ones(shape: Ints, dtype: DTypeCode, device: NativeDevice | null): Handle;
  full(shape: Ints, value: NativeScalar, dtype: DTypeCode, device: NativeDevice | null): Handle;
  /** start, start + step, ... below end. */
  arange(start: number, end: number, step: number, dtype: DTypeCode, device: NativeDevice | null): Handle;
  linspace(start: number, end: number, steps: number, dtype: DTypeCode, device: NativeDevice | null): Handle;
  /** An n x m identity. */
  eye(n: number, m: number, dtype: DTypeCode, device: NativeDevice | null): Handle;
  rand(shape: Ints, dtype: DTypeCode, device: NativeDevice | null): Handle;
  randn(shape: Ints, dtype: DTypeCode, device: NativeDevice | null): Handle;
  /** Integers in [low, high). */
  randint(low: number, high: number, shape: Ints, dtype: DTypeCode, device: NativeDevice | null): Handle;
  randperm(n: number, dtype: DTypeCode, device: NativeDevice | null): Handle;
  zerosLike(t: Handle): Handle;
  onesLike(t: Handle): Handle;
  fullLike(t: Handle, value: NativeScalar): Handle;
  randLike(t: Handle): Handle;
  randnLike(t: Handle): Handle;
  /** 0/1 draws with the probabilities in p. */
  bernoulli(p: Handle): Handle;
  /** numSamples indices per row of probs. */
  multinomial(probs: Handle, numSamples: number, replacement: boolean): Handle;
  clone(t: Handle): Handle;
  /** dtype null keeps the dtype, device null the device. */
  to(t: Handle, dtype: DTypeCode | null, device: NativeDevice | null, nonBlocking?: boolean): Handle;
  contiguous(t: Handle): Handle;
  /** An NCHW tensor stored as NHWC (same shape, other strides); always a copy. */
  channelsLast(t: Handle): Handle;
}

/**
 * math.cc: elementwise arithmetic, comparisons, reductions, linear algebra, in-place updates.
 * Binary ops take a tensor or a scalar as b. Reductions with dims null reduce over everything.
 * In-place ops (trailing _) return the handle they were given.
 */
export interface MathOps {
  /** a + alpha * b (alpha 1 when not a number). */
  add(a: Handle, b: HandleOrScalar, alpha?: number): Handle;
  /** a - alpha * b (alpha 1 when not a number). */
  sub(a: Handle, b: HandleOrScalar, alpha?: number): Handle;
  mul(a: Handle, b: HandleOrScalar): Handle;
  div(a: Handle, b: HandleOrScalar): Handle;
  pow(a: Handle, exponent: HandleOrScalar): Handle;
  remainder(a: Handle, b: HandleOrScalar): Handle;
  eq(a: Handle, b: HandleOrScalar): Handle;
  ne(a: Handle, b: HandleOrScalar): Handle;
  lt(a: Handle, b: HandleOrScalar): Handle;
  le(a: Handle, b: HandleOrScalar): Handle;
  gt(a: Handle, b: HandleOrScalar): Handle;
  ge(a: Handle, b: HandleOrScalar): Handle;
  maximum(a: Handle, b: Handle): Handle;
  minimum(a: Handle, b: Handle): Handle;
  logicalAnd(a: Handle, b: Handle): Handle;
  logicalOr(a: Handle, b: Handle): Handle;
  /** s - a */
  rsub(a: Handle, s: number): Handle;
  /** s / a */
  rdiv(a: Handle, s: number): Handle;
  neg(t: Handle): Handle;
  exp(t: Handle): Handle;
  log(t: Handle): Handle;
  log1p(t: Handle): Handle;
  expm1(t: Handle): Handle;
  sqrt(t: Handle): Handle;
  rsqrt(t: Handle): Handle;
  abs(t: Handle): Handle;
  sign(t: Handle): Handle;
  sin(t: Handle): Handle;
  cos(t: Handle): Handle;
  tanh(t: Handle): Handle;
  sigmoid(t: Handle): Handle;
  floor(t: Handle): Handle;
  ceil(t: Handle): Handle;
  round(t: Handle): Handle;
  reciprocal(t: Handle): Handle;
  square(t: Handle): Handle;
  logicalNot(t: Handle): Handle;
  isnan(t: Handle): Handle;
  isfinite(t: Handle): Handle;
  /** A null (or absent) bound is no bound. */
  clamp(t: Handle, min: number | null, max?: number | null): Handle;
  /** a where cond is true, else b. */
  where(cond: Handle, a: HandleOrScalar, b: HandleOrScalar): Handle;
  /** a + weight * (b - a) */
  lerp(a: Handle, b: Handle, weight: number): Handle;
  sum(t: Handle, dims: number | Ints | null, keepdim?: boolean): Handle;
  mean(t: Handle, dims: number | Ints | null, keepdim?: boolean): Handle;
  /** Over one dim, or everything with dim null. */
  prod(t: Handle, dim: number | null, keepdim?: boolean): Handle;
  logsumexp(t: Handle, dims: number | Ints, keepdim: boolean): Handle;
  cumsum(t: Handle, dim: number): Handle;
  all(t: Handle): Handle;
  any(t: Handle): Handle;
  /** The maximum over everything as a 0-dim tensor. */
  max(t: Handle, dim?: null): Handle;
  /** [values, indices] along dim. */
  max(t: Handle, dim: number, keepdim: boolean): [Handle, Handle];
  min(t: Handle, dim?: null): Handle;
  min(t: Handle, dim: number, keepdim: boolean): [Handle, Handle];
  /** Index into the flattened tensor with dim null. */
  argmax(t: Handle, dim: number | null, keepdim: boolean): Handle;
  argmin(t: Handle, dim: number | null, keepdim: boolean): Handle;
  /** correction 1: unbiased, 0: population. */
  var(t: Handle, dims: number | Ints | null, correction: number, keepdim: boolean): Handle;
  std(t: Handle, dims: number | Ints | null, correction: number, keepdim: boolean): Handle;
  /** The p-norm over dims (over everything with dims null). */
  norm(t: Handle, p: number, dims: number | Ints | null, keepdim?: boolean): Handle;
  /** [values, indices] of the k largest (or smallest) along dim. */
  topk(t: Handle, k: number, dim: number, largest: boolean, sorted: boolean): [Handle, Handle];
  /** [values, indices] */
  sort(t: Handle, dim: number, descending: boolean): [Handle, Handle];
  argsort(t: Handle, dim: number, descending: boolean): Handle;
  /** Counts of each value of a 1-D non-negative int64 tensor, at least minlength of them. */
  bincount(t: Handle, minlength: number): Handle;
  matmul(a: Handle, b: Handle): Handle;
  mm(a: Handle, b: Handle): Handle;
  bmm(a: Handle, b: Handle): Handle;
  outer(a: Handle, b: Handle): Handle;
  dot(a: Handle, b: Handle): Handle;
  /** beta * bias + alpha * (a @ b) */
  addmm(bias: Handle, a: Handle, b: Handle, beta: number, alpha: number): Handle;
  /** Pairwise p-norm distances: a [.., P, M], b [.., R, M] -> [.., P, R]. */
  cdist(a: Handle, b: Handle, p: number): Handle;
  /** [eigenvalues ascending, eigenvectors as columns] of a symmetric matrix (its lower triangle). */
  eigh(a: Handle): [Handle, Handle];
  /** [U, S, Vh] */
  svd(a: Handle, fullMatrices: boolean): [Handle, Handle, Handle];
  /** a += alpha * b */
  add_(a: Handle, b: HandleOrScalar, alpha?: number): Handle;
  mul_(a: Handle, b: HandleOrScalar): Handle;
  div_(a: Handle, b: HandleOrScalar): Handle;
  /** a -= alpha * b */
  sub_(a: Handle, b: HandleOrScalar, alpha?: number): Handle;
  /** a += value * t1 * t2 */
  addcmul_(a: Handle, t1: Handle, t2: Handle, value: number): Handle;
  /** a += value * t1 / t2 */
  addcdiv_(a: Handle, t1: Handle, t2: Handle, value: number): Handle;
  /** a += weight * (b - a) */
  lerp_(a: Handle, b: Handle, weight: number): Handle;
  /** Copies src's values into dst (broadcasting, casting). */
  copy_(dst: Handle, src: Handle): Handle;
  zero_(t: Handle): Handle;
  fill_(t: Handle, value: NativeScalar): Handle;
  sqrt_(t: Handle): Handle;
  clamp_(t: Handle, min: number | null, max?: number | null): Handle;
  /** Uniform on [from, to). */
  uniform_(t: Handle, from: number, to: number): Handle;
  normal_(t: Handle, mean: number, std: number): Handle;
}

/** shape.cc: views, reshaping, joining and splitting, indexing, padding. Dims may be negative. */
export interface ShapeOps {
  reshape(t: Handle, shape: Ints): Handle;
  view(t: Handle, shape: Ints): Handle;
  permute(t: Handle, dims: Ints): Handle;
  transpose(t: Handle, dim0: number, dim1: number): Handle;
  /** Every size-1 dim, or only dim. */
  squeeze(t: Handle, dim?: number | null): Handle;
  unsqueeze(t: Handle, dim: number): Handle;
  flatten(t: Handle, startDim: number, endDim: number): Handle;
  expand(t: Handle, shape: Ints): Handle;
  /** Tiles the tensor times[i] times along dim i. */
  repeat(t: Handle, times: Ints): Handle;
  repeatInterleave(t: Handle, repeats: number, dim: number): Handle;
  flip(t: Handle, dims: number | Ints): Handle;
  /** k quarter turns counter-clockwise in the plane of the two dims. */
  rot90(t: Handle, k: number, dims: Ints): Handle;
  narrow(t: Handle, dim: number, start: number, length: number): Handle;
  /** Elements start..end-1, step apart, along dim. */
  slice(t: Handle, dim: number, start: number, end: number, step: number): Handle;
  /** The index-th slice along dim, dim removed. */
  select(t: Handle, dim: number, index: number): Handle;
  cat(ts: readonly Handle[], dim: number): Handle;
  stack(ts: readonly Handle[], dim: number): Handle;
  /** Pieces of `size` along dim (the last may be smaller), or pieces of the given sizes. */
  split(t: Handle, sizeOrSizes: number | Ints, dim: number): Handle[];
  chunk(t: Handle, chunks: number, dim: number): Handle[];
  unbind(t: Handle, dim: number): Handle[];
  indexSelect(t: Handle, dim: number, index: Handle): Handle;
  gather(t: Handle, dim: number, index: Handle): Handle;
  scatter(t: Handle, dim: number, index: Handle, src: HandleOrScalar): Handle;
  scatterAdd(t: Handle, dim: number, index: Handle, src: Handle): Handle;
  indexAdd(t: Handle, dim: number, index: Handle, source: Handle): Handle;
  maskedFill(t: Handle, mask: Handle, value: NativeScalar): Handle;
  maskedSelect(t: Handle, mask: Handle): Handle;
  /** Advanced indexing, one entry per leading dim: an index tensor, or null to keep the dim whole. */
  index(t: Handle, indices: readonly (Handle | null)[]): Handle;
  nonzero(t: Handle): Handle;
  /** pads [left, right, top, bottom, ...] from the last dim; value is used (and needed) by 'constant' only. */
  pad(t: Handle, pads: Ints, mode: 'constant' | 'reflect' | 'replicate' | 'circular', value?: number): Handle;
  /** int64 [..., numClasses] from int64 labels; numClasses -1 infers it. */
  oneHot(labels: Handle, numClasses: number): Handle;
  tril(t: Handle, diagonal: number): Handle;
  triu(t: Handle, diagonal: number): Handle;
  diag(t: Handle, diagonal: number): Handle;
  /** Sliding windows of `size`, `step` apart, along dim (a new last dim). */
  unfold(t: Handle, dim: number, size: number, step: number): Handle;
}

/** nn.cc: convolution, pooling, normalisation, activations, losses, resampling. */
export interface NnOps {
  /** input [N, Cin, H, W], weight [Cout, Cin/groups, kH, kW]; stride, padding, dilation [h, w]. */
  conv2d(input: Handle, weight: Handle, bias: Handle | null, stride: Ints, padding: Ints, dilation: Ints, groups: number): Handle;
  /** input [..., in], weight [out, in], bias [out]. */
  linear(input: Handle, weight: Handle, bias: Handle | null): Handle;
  maxPool2d(input: Handle, kernel: Ints, stride: Ints, padding: Ints, dilation: Ints, ceilMode: boolean): Handle;
  avgPool2d(input: Handle, kernel: Ints, stride: Ints, padding: Ints, ceilMode: boolean, countIncludePad: boolean): Handle;
  /** outputSize [h, w] */
  adaptiveAvgPool2d(input: Handle, outputSize: Ints): Handle;
  /** The values only. */
  adaptiveMaxPool2d(input: Handle, outputSize: Ints): Handle;
  /** Over dim 1; in training the running statistics (when given) are updated in place. */
  batchNorm(
    input: Handle, weight: Handle | null, bias: Handle | null, runningMean: Handle | null, runningVar: Handle | null,
    training: boolean, momentum: number, eps: number,
  ): Handle;
  layerNorm(input: Handle, normalizedShape: Ints, weight: Handle | null, bias: Handle | null, eps: number): Handle;
  dropout(input: Handle, p: number, training: boolean): Handle;
  relu(input: Handle): Handle;
  /** In place; returns the handle given. */
  relu_(input: Handle): Handle;
  leakyRelu(input: Handle, negativeSlope: number): Handle;
  gelu(input: Handle): Handle;
  softmax(input: Handle, dim: number): Handle;
  logSoftmax(input: Handle, dim: number): Handle;
  /** logits [N, C, ...]; target int64 class indices [N, ...] or probabilities [N, C, ...]. */
  crossEntropy(
    logits: Handle, target: Handle, weight: Handle | null, reduction: ReductionCode, ignoreIndex: number, labelSmoothing: number,
  ): Handle;
  nllLoss(logProbs: Handle, target: Handle, weight: Handle | null, reduction: ReductionCode, ignoreIndex: number): Handle;
  mseLoss(input: Handle, target: Handle, reduction: ReductionCode): Handle;
  binaryCrossEntropyWithLogits(
    input: Handle, target: Handle, weight: Handle | null, posWeight: Handle | null, reduction: ReductionCode,
  ): Handle;
  /** input [N, C, H, W] to size [h, w]; alignCorners matters for 'bilinear' only. */
  interpolate(input: Handle, size: Ints, mode: 'bilinear' | 'nearest', alignCorners: boolean): Handle;
  /** theta [N, 2, 3], size [N, C, H, W] -> grid [N, H, W, 2]. */
  affineGrid(theta: Handle, size: Ints, alignCorners: boolean): Handle;
  /** input [N, C, H, W] sampled at grid [N, h, w, 2] (x, y in [-1, 1]). */
  gridSample(input: Handle, grid: Handle, mode: GridSampleMode, padding: GridSamplePadding, alignCorners: boolean): Handle;
}

/** autograd.cc: requires_grad, backward, gradients, detach. */
export interface AutogradOps {
  /** Returns the handle given. */
  setRequiresGrad(t: Handle, on: boolean): Handle;
  requiresGrad(t: Handle): boolean;
  isLeaf(t: Handle): boolean;
  /** A new handle sharing the accumulated gradient's storage, or null when there is none. */
  grad(t: Handle): Handle | null;
  /** g null clears the gradient; otherwise g must have t's shape, dtype and device. */
  setGrad(t: Handle, g: Handle | null): void;
  /** gradient null: implicit 1 (t must be a scalar). */
  backward(t: Handle, gradient: Handle | null, retainGraph: boolean): void;
  retainGrad(t: Handle): void;
  detach(t: Handle): Handle;
  /** The name of the autograd node that made t, or null for leaves. */
  gradFn(t: Handle): string | null;
}

/** cluster.cc: the fused loops of k-means; every tensor contiguous, on the CPU. */
export interface ClusterOps {
  /**
   * x [B, D] f32, xSq [B] f32 (null: computed), cT [D, K] f32, halfSqNorm [K] f32; writes labels [B]
   * i64 and sqDist [B] f32 in place and, with sums [K, D] f64 and counts [K] i64 (both or neither),
   * adds each row to its nearest centroid's sum and count. Returns the sum of sqDist.
   */
  nearestCentroidsInto(
    x: Handle, xSq: Handle | null, cT: Handle, halfSqNorm: Handle, labels: Handle, sqDist: Handle,
    sums: Handle | null, counts: Handle | null,
  ): number;
  /** x [N, D] f32, centroids [K, D] f32, labels [N] i64: sum of ||x_i - c_label(i)||^2 in float64. */
  assignedSqDistanceSum(x: Handle, centroids: Handle, labels: Handle): number;
}

/** allReduce's reduction: 0 sum, 1 average (sum / world size), 2 max, 3 min. */
export type ReduceOpCode = 0 | 1 | 2 | 3;

/**
 * distributed.cc: libtorch's c10d, one TCPStore and one ProcessGroupGloo per process. Collectives
 * take contiguous CPU tensors, work in place, block until done on this rank, and throw when a peer
 * is gone or the group's timeout passes. Built without Gloo, every one but distAvailable throws.
 */
export interface DistributedOps {
  /** Whether the addon was built with Gloo. */
  distAvailable(): boolean;
  /** Rank 0 (isServer) listens on host:port, the others connect (retrying up to timeoutMs); returns the port. */
  storeConnect(host: string, port: number, isServer: boolean, worldSize: number, timeoutMs: number): number;
  storeSet(key: string, value: string): void;
  /** Waits for the key up to the store's timeout. */
  storeGet(key: string): string;
  /** Adds to a counter key (made at 0); returns the new value. */
  storeAdd(key: string, amount: number): number;
  /** Whether every key is set, without waiting. */
  storeCheck(keys: readonly string[]): boolean;
  /** Connects every pair of ranks through the store; hostname: the address Gloo binds ('' : this machine's name). */
  processGroupInit(rank: number, worldSize: number, timeoutMs: number, hostname: string, threads: number): void;
  processGroupDestroy(): void;
  /** Reduces each tensor across ranks, in place. */
  allReduce(tensors: readonly Handle[], op: ReduceOpCode, timeoutMs?: number): void;
  /** Sums or averages every tensor, flattened into buckets of one dtype up to bucketBytes, all buckets in flight together. */
  allReduceCoalesced(tensors: readonly Handle[], bucketBytes: number, average: boolean, timeoutMs?: number): void;
  /** Each tensor takes rank root's values, in place. */
  broadcast(tensors: readonly Handle[], root: number, timeoutMs?: number): void;
  barrier(timeoutMs?: number): void;
  /** Every rank's tensor (all of one shape), in rank order. */
  allGather(tensor: Handle, timeoutMs?: number): Handle[];
  /** DDP's c10d::Reducer over these parameters (buckets of bucketBytes, the first firstBucketBytes); its id. */
  reducerNew(params: Handle[], bucketBytes: number, firstBucketBytes: number): number;
  /** Before a backward whose gradients the reducer averages (rebuilds buckets after the first). */
  reducerPrepare(id: number): void;
  reducerFree(id: number): void;
  /** The sum across ranks as a new tensor whose gradient is the sum across ranks of its gradient. */
  allReduceSumDifferentiable(tensor: Handle): Handle;
}

/** Every function of the addon. */
export type NativeApi = HandleOps & CreateOps & MathOps & ShapeOps & NnOps & AutogradOps & ClusterOps & DistributedOps;

// A group's names as a tuple, checked to list every function of its interface and no other.
const group =
  <I>() =>
  <const L extends readonly (keyof I & string)[]>(
    names: L & ([Exclude<keyof I, L[number]>] extends [never] ? unknown : { readonly missing: Exclude<keyof I, L[number]> }),
  ): L =>
    names;

/** The names of the addon's functions by .cc file (native/src/<group>.cc), at run time. */
export const NATIVE_FUNCTIONS = {
  handle: group<HandleOps>()([
    'dispose', 'isDisposed', 'shape', 'dtype', 'device', 'numel', 'dim', 'stride', 'isContiguous', 'isChannelsLast',
    'data', 'rawData', 'item', 'memory', 'setNumThreads', 'mallocTrim', 'getNumThreads', 'manualSeed', 'setDeterministic', 'isDeterministic', 'getRngState',
    'setRngState', 'setGradEnabled', 'isGradEnabled', 'autocastEnter', 'autocastExit', 'cudaDeviceCount', 'buildInfo',
  ]),
  create: group<CreateOps>()([
    'fromData', 'empty', 'zeros', 'ones', 'full', 'arange', 'linspace', 'eye', 'rand', 'randn', 'randint', 'randperm',
    'zerosLike', 'onesLike', 'fullLike', 'randLike', 'randnLike', 'bernoulli', 'multinomial', 'clone', 'to', 'contiguous',
    'channelsLast',
  ]),
  math: group<MathOps>()([
    'add', 'sub', 'mul', 'div', 'pow', 'remainder', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
    'maximum', 'minimum', 'logicalAnd', 'logicalOr', 'rsub', 'rdiv',
    'neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'abs', 'sign', 'sin', 'cos', 'tanh', 'sigmoid',
    'floor', 'ceil', 'round', 'reciprocal', 'square', 'logicalNot', 'isnan', 'isfinite',
    'clamp', 'where', 'lerp',
    'sum', 'mean', 'prod', 'logsumexp', 'cumsum', 'all', 'any',
    'max', 'min', 'argmax', 'argmin', 'var', 'std', 'norm', 'topk', 'sort', 'argsort', 'bincount',
    'matmul', 'mm', 'bmm', 'outer', 'dot', 'addmm', 'cdist', 'eigh', 'svd',
    'add_', 'mul_', 'div_', 'sub_', 'addcmul_', 'addcdiv_', 'lerp_', 'copy_', 'zero_', 'fill_', 'sqrt_', 'clamp_',
    'uniform_', 'normal_',
  ]),
  shape: group<ShapeOps>()([
    'reshape', 'view', 'permute', 'transpose', 'squeeze', 'unsqueeze', 'flatten', 'expand', 'repeat', 'repeatInterleave',
    'flip', 'rot90', 'narrow', 'slice', 'select', 'cat', 'stack', 'split', 'chunk', 'unbind', 'indexSelect', 'gather',
    'scatter', 'scatterAdd', 'indexAdd', 'maskedFill', 'maskedSelect', 'index', 'nonzero', 'pad', 'oneHot', 'tril', 'triu',
    'diag', 'unfold',
  ]),
  nn: group<NnOps>()([
    'conv2d', 'linear', 'maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d', 'adaptiveMaxPool2d', 'batchNorm', 'layerNorm',
    'dropout', 'relu', 'relu_', 'leakyRelu', 'gelu', 'softmax', 'logSoftmax', 'crossEntropy', 'nllLoss', 'mseLoss',
    'binaryCrossEntropyWithLogits', 'interpolate', 'affineGrid', 'gridSample',
  ]),
  autograd: group<AutogradOps>()([
    'setRequiresGrad', 'requiresGrad', 'isLeaf', 'grad', 'setGrad', 'backward', 'retainGrad', 'detach', 'gradFn',
  ]),
  cluster: group<ClusterOps>()(['nearestCentroidsInto', 'assignedSqDistanceSum']),
  distributed: group<DistributedOps>()([
    'distAvailable', 'storeConnect', 'storeSet', 'storeGet', 'storeAdd', 'storeCheck', 'processGroupInit', 'processGroupDestroy',
    'allReduce', 'allReduceCoalesced', 'broadcast', 'barrier', 'allGather', 'reducerNew', 'reducerPrepare', 'reducerFree', 'allReduceSumDifferentiable',
  ]),
} as const;
