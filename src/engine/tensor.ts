// The Tensor: a handle to a libtorch tensor plus PyTorch's methods (camelCase names).
// Every method that makes a tensor returns a new Tensor registered with the current
// tidy() scope; in-place methods (trailing underscore) return `this`.
// Scalars: a JS number with an integral value acts as a Python int in type promotion
// (int64 tensor + 1 stays int64, int64 tensor * 0.5 is float32); float tensors keep their dtype.
import { N, type Handle } from './native.js';
import type { NativeDevice } from './native_api.js';
import { type DType, type AnyTypedArray, dtypeCode, dtypeOfCode, isDType, viewOf } from './dtype.js';
import { track, registerTensorClass } from './scope.js';

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | Scalar;
/** 'cpu', 'cuda' or 'cuda:N' (the devices the native layer accepts). */
export type Device = NativeDevice;

/** Values and indices, as PyTorch's max/min/topk/sort return them. */
export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}

const h = (x: TensorOrScalar): Handle | Scalar => (x instanceof Tensor ? x.handle : x);

/** Shape arguments: reshape(2, 3) or reshape([2, 3]). */
export function dimsOf(args: (number | readonly number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}

export class Tensor {
  /** True when no tidy() scope may free this tensor (see keep()). */
  kept = false;
  // The handle stays after dispose(): the native op that gets it then throws an
  // Error naming itself and the disposed tensor's shape.
  readonly #h: Handle;
  #disposed = false;

  constructor(handle: Handle) {
    this.#h = handle;
    track(this);
  }

  /** The native handle (a disposed tensor's handle makes every op throw). */
  get handle(): Handle {
    return this.#h;
  }

  // ---- metadata ----
  get shape(): number[] {
    return N.shape(this.handle);
  }
  get dtype(): DType {
    return dtypeOfCode(N.dtype(this.handle));
  }
  get device(): Device {
    return N.device(this.handle);
  }
  get ndim(): number {
    return N.dim(this.handle);
  }
  dim(): number {
    return N.dim(this.handle);
  }
  numel(): number {
    return N.numel(this.handle);
  }
  size(dim?: number): number | number[] {
    const s = this.shape;
    if (dim === undefined) return s;
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`size(${dim}): tensor has ${s.length} dims`);
    return s[d]!;
  }
  stride(): number[] {
    return N.stride(this.handle);
  }
  isContiguous(): boolean {
    return N.isContiguous(this.handle);
  }
  isChannelsLast(): boolean {
    return N.isChannelsLast(this.handle);
  }
  get isDisposed(): boolean {
    return this.#disposed;
  }

  // ---- lifetime ----
  /** Frees the native tensor now. Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    N.dispose(this.#h);
    this.#disposed = true;
  }
  /** Protects this tensor from every tidy() scope; dispose() it yourself. */
  keep(): this {
    this.kept = true;
    return this;
  }

  // ---- reading back ----
  /** A copy of the values as a typed array (float16/bfloat16 as Float32Array, bool as Uint8Array). */
  data(): AnyTypedArray {
    return viewOf(N.data(this.handle), this.dtype);
  }
  /** The values' bytes exactly as stored (row-major, little-endian), for any dtype. */
  rawData(): Uint8Array {
    return new Uint8Array(N.rawData(this.handle));
  }
  /** The single value of a one-element tensor. */
  item(): number {
    const v = N.item(this.handle);
    return typeof v === 'boolean' ? Number(v) : v;
  }
  /** Nested arrays of numbers, as PyTorch's tolist(). */
  tolist(): unknown {
    const flat = this.data();
    const vals: number[] = flat instanceof BigInt64Array ? Array.from(flat, Number) : Array.from(flat as ArrayLike<number>);
    const shape = this.shape;
    if (shape.length === 0) return vals[0];
    let pos = 0;
    const build = (d: number): unknown[] => {
      const out: unknown[] = [];
      for (let i = 0; i < shape[d]!; i++) out.push(d === shape.length - 1 ? vals[pos++] : build(d + 1));
      return out;
    };
    return build(0);
  }
  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.isDisposed ? 'Tensor(<disposed>)' : this.toString();
  }

  // ---- autograd ----
  get requiresGrad(): boolean {
    return N.requiresGrad(this.handle);
  }
  set requiresGrad(v: boolean) {
    N.setRequiresGrad(this.handle, v);
  }
  requiresGrad_(v = true): this {
    N.setRequiresGrad(this.handle, v);
    return this;
  }
  /** The accumulated gradient (a new handle sharing its storage), or null. */
  get grad(): Tensor | null {
    const g = N.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  set grad(g: Tensor | null) {
    N.setGrad(this.handle, g === null ? null : g.handle);
  }
  get isLeaf(): boolean {
    return N.isLeaf(this.handle);
  }
  /** Name of the autograd node that made this tensor, or null for leaves. */
  get gradFn(): string | null {
    return N.gradFn(this.handle);
  }
  backward(gradient?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    N.backward(this.handle, gradient ? gradient.handle : null, opts.retainGraph ?? false);
  }
  retainGrad(): void {
    N.retainGrad(this.handle);
  }
  detach(): Tensor {
    return new Tensor(N.detach(this.handle));
  }

  // ---- copies and casts ----
  clone(): Tensor {
    return new Tensor(N.clone(this.handle));
  }
  /** to('float64'), to('cuda'), to({ dtype, device }). */
  to(target: DType | Device | { dtype?: DType; device?: Device }, opts: { nonBlocking?: boolean } = {}): Tensor {
    let dtype: DType | undefined;
    let device: Device | undefined;
    if (typeof target === 'string') {
      // A dtype name, else a device (the native layer rejects unknown devices).
      if (isDType(target)) dtype = target;
      else device = target;
    } else {
      dtype = target.dtype;
      device = target.device;
    }
    return new Tensor(N.to(this.handle, dtype === undefined ? null : dtypeCode(dtype), device ?? null, opts.nonBlocking ?? false));
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  long(): Tensor {
    return this.to('int64');
  }
  int(): Tensor {
    return this.to('int32');
  }
  bool(): Tensor {
    return this.to('bool');
  }
  cpu(): Tensor {
    return this.to('cpu');
  }
  cuda(index = 0): Tensor {
    return this.to(`cuda:${index}`);
  }
  /** contiguous(), or contiguous('channelsLast') for NHWC storage of an NCHW tensor. */
  contiguous(memoryFormat: 'contiguous' | 'channelsLast' = 'contiguous'): Tensor {
    return new Tensor(memoryFormat === 'channelsLast' ? N.channelsLast(this.handle) : N.contiguous(this.handle));
  }

  // ---- elementwise ----
  add(other: TensorOrScalar, alpha = 1): Tensor {
    return new Tensor(N.add(this.handle, h(other), alpha));
  }
  sub(other: TensorOrScalar, alpha = 1): Tensor {
    return new Tensor(N.sub(this.handle, h(other), alpha));
  }
  mul(other: TensorOrScalar): Tensor {
    return new Tensor(N.mul(this.handle, h(other)));
  }
  div(other: TensorOrScalar): Tensor {
    return new Tensor(N.div(this.handle, h(other)));
  }
  pow(exponent: TensorOrScalar): Tensor {
    return new Tensor(N.pow(this.handle, h(exponent)));
  }
  remainder(other: TensorOrScalar): Tensor {
    return new Tensor(N.remainder(this.handle, h(other)));
  }
  /** s - this */
  rsub(s: number): Tensor {
    return new Tensor(N.rsub(this.handle, s));
  }
  eq(other: TensorOrScalar): Tensor {
    return new Tensor(N.eq(this.handle, h(other)));
  }
  ne(other: TensorOrScalar): Tensor {
    return new Tensor(N.ne(this.handle, h(other)));
  }
  lt(other: TensorOrScalar): Tensor {
    return new Tensor(N.lt(this.handle, h(other)));
  }
  le(other: TensorOrScalar): Tensor {
    return new Tensor(N.le(this.handle, h(other)));
  }
  gt(other: TensorOrScalar): Tensor {
    return new Tensor(N.gt(this.handle, h(other)));
  }
  ge(other: TensorOrScalar): Tensor {
    return new Tensor(N.ge(this.handle, h(other)));
  }
  maximum(other: Tensor): Tensor {
    return new Tensor(N.maximum(this.handle, other.handle));
  }
  minimum(other: Tensor): Tensor {
    return new Tensor(N.minimum(this.handle, other.handle));
  }
  logicalAnd(other: Tensor): Tensor {
    return new Tensor(N.logicalAnd(this.handle, other.handle));
  }
  logicalOr(other: Tensor): Tensor {
    return new Tensor(N.logicalOr(this.handle, other.handle));
  }
  logicalNot(): Tensor {
    return new Tensor(N.logicalNot(this.handle));
  }
  neg(): Tensor {
    return new Tensor(N.neg(this.handle));
  }
  exp(): Tensor {
    return new Tensor(N.exp(this.handle));
  }
  log(): Tensor {
    return new Tensor(N.log(this.handle));
  }
  log1p(): Tensor {
    return new Tensor(N.log1p(this.handle));
  }
  expm1(): Tensor {
    return new Tensor(N.expm1(this.handle));
  }
  sqrt(): Tensor {
    return new Tensor(N.sqrt(this.handle));
  }
  rsqrt(): Tensor {
    return new Tensor(N.rsqrt(this.handle));
  }
  abs(): Tensor {
    return new Tensor(N.abs(this.handle));
  }
  sign(): Tensor {
    return new Tensor(N.sign(this.handle));
  }
  sin(): Tensor {
    return new Tensor(N.sin(this.handle));
  }
  cos(): Tensor {
    return new Tensor(N.cos(this.handle));
  }
  tanh(): Tensor {
    return new Tensor(N.tanh(this.handle));
  }
  sigmoid(): Tensor {
    return new Tensor(N.sigmoid(this.handle));
  }
  relu(): Tensor {
    return new Tensor(N.relu(this.handle));
  }
  floor(): Tensor {
    return new Tensor(N.floor(this.handle));
  }
  ceil(): Tensor {
    return new Tensor(N.ceil(this.handle));
  }
  round(): Tensor {
    return new Tensor(N.round(this.handle));
  }
  reciprocal(): Tensor {
    return new Tensor(N.reciprocal(this.handle));
  }
  square(): Tensor {
    return new Tensor(N.square(this.handle));
  }
  isnan(): Tensor {
    return new Tensor(N.isnan(this.handle));
  }
  isfinite(): Tensor {
    return new Tensor(N.isfinite(this.handle));
  }
  clamp(min: number | null, max: number | null = null): Tensor {
    return new Tensor(N.clamp(this.handle, min, max));
  }
  lerp(end: Tensor, weight: number): Tensor {
    return new Tensor(N.lerp(this.handle, end.handle, weight));
  }
  softmax(dim: number): Tensor {
    return new Tensor(N.softmax(this.handle, dim));
  }
  logSoftmax(dim: number): Tensor {
    return new Tensor(N.logSoftmax(this.handle, dim));
  }

  // ---- reductions ----
  sum(dim?: number | number[] | null, keepdim = false): Tensor {
    return new Tensor(N.sum(this.handle, dim ?? null, keepdim));
  }
  mean(dim?: number | number[] | null, keepdim = false): Tensor {
    return new Tensor(N.mean(this.handle, dim ?? null, keepdim));
  }
  prod(dim?: number | null, keepdim = false): Tensor {
    return new Tensor(N.prod(this.handle, dim ?? null, keepdim));
  }
  logsumexp(dim: number | number[], keepdim = false): Tensor {
    return new Tensor(N.logsumexp(this.handle, dim, keepdim));
  }
  cumsum(dim: number): Tensor {
    return new Tensor(N.cumsum(this.handle, dim));
  }
  all(): Tensor {
    return new Tensor(N.all(this.handle));
  }
  any(): Tensor {
    return new Tensor(N.any(this.handle));
  }
  /** max() over everything, or max(dim) -> { values, indices }. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): ValuesIndices;
  max(dim?: number, keepdim = false): Tensor | ValuesIndices {
    if (dim === undefined) return new Tensor(N.max(this.handle));
    const [values, indices] = N.max(this.handle, dim, keepdim);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): ValuesIndices;
  min(dim?: number, keepdim = false): Tensor | ValuesIndices {
    if (dim === undefined) return new Tensor(N.min(this.handle));
    const [values, indices] = N.min(this.handle, dim, keepdim);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  argmax(dim?: number | null, keepdim = false): Tensor {
    return new Tensor(N.argmax(this.handle, dim ?? null, keepdim));
  }
  argmin(dim?: number | null, keepdim = false): Tensor {
    return new Tensor(N.argmin(this.handle, dim ?? null, keepdim));
  }
  /** Variance; correction 1 (default) is the unbiased estimate, 0 the population variance. */
  var(dim?: number | number[] | null, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return new Tensor(N.var(this.handle, dim ?? null, opts.correction ?? 1, opts.keepdim ?? false));
  }
  std(dim?: number | number[] | null, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return new Tensor(N.std(this.handle, dim ?? null, opts.correction ?? 1, opts.keepdim ?? false));
  }
  norm(p = 2, dim?: number | number[] | null, keepdim = false): Tensor {
    return new Tensor(N.norm(this.handle, p, dim ?? null, keepdim));
  }
  topk(k: number, dim = -1, largest = true, sorted = true): ValuesIndices {
    const [values, indices] = N.topk(this.handle, k, dim, largest, sorted);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  sort(dim = -1, descending = false): ValuesIndices {
    const [values, indices] = N.sort(this.handle, dim, descending);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  argsort(dim = -1, descending = false): Tensor {
    return new Tensor(N.argsort(this.handle, dim, descending));
  }
  /** Counts of each value of a 1-D int64 tensor of non-negative values. */
  bincount(minlength = 0): Tensor {
    return new Tensor(N.bincount(this.handle, minlength));
  }

  // ---- linear algebra ----
  matmul(other: Tensor): Tensor {
    return new Tensor(N.matmul(this.handle, other.handle));
  }
  mm(other: Tensor): Tensor {
    return new Tensor(N.mm(this.handle, other.handle));
  }
  bmm(other: Tensor): Tensor {
    return new Tensor(N.bmm(this.handle, other.handle));
  }
  dot(other: Tensor): Tensor {
    return new Tensor(N.dot(this.handle, other.handle));
  }
  outer(other: Tensor): Tensor {
    return new Tensor(N.outer(this.handle, other.handle));
  }

  // ---- shape ----
  reshape(...shape: (number | readonly number[])[]): Tensor {
    return new Tensor(N.reshape(this.handle, dimsOf(shape)));
  }
  view(...shape: (number | readonly number[])[]): Tensor {
    return new Tensor(N.view(this.handle, dimsOf(shape)));
  }
  permute(...dims: (number | readonly number[])[]): Tensor {
    return new Tensor(N.permute(this.handle, dimsOf(dims)));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(N.transpose(this.handle, dim0, dim1));
  }
  /** Transpose of a 2-D tensor. */
  t(): Tensor {
    return this.transpose(0, 1);
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(N.squeeze(this.handle, dim ?? null));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(N.unsqueeze(this.handle, dim));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return new Tensor(N.flatten(this.handle, startDim, endDim));
  }
  expand(...shape: (number | readonly number[])[]): Tensor {
    return new Tensor(N.expand(this.handle, dimsOf(shape)));
  }
  repeat(...times: (number | readonly number[])[]): Tensor {
    return new Tensor(N.repeat(this.handle, dimsOf(times)));
  }
  repeatInterleave(repeats: number, dim: number): Tensor {
    return new Tensor(N.repeatInterleave(this.handle, repeats, dim));
  }
  flip(dims: number | number[]): Tensor {
    return new Tensor(N.flip(this.handle, dims));
  }
  /** Rotates by k quarter turns counter-clockwise in the plane of dims (default the last two). */
  rot90(k = 1, dims: [number, number] = [-2, -1]): Tensor {
    return new Tensor(N.rot90(this.handle, k, dims));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(N.narrow(this.handle, dim, start, length));
  }
  /** Elements start..end-1 (step apart) along dim, as Python's t[..., start:end:step]. */
  slice(dim: number, start: number, end: number, step = 1): Tensor {
    return new Tensor(N.slice(this.handle, dim, start, end, step));
  }
  /** The index-th slice along dim, with dim removed. */
  select(dim: number, index: number): Tensor {
    return new Tensor(N.select(this.handle, dim, index));
  }
  split(sizeOrSizes: number | number[], dim = 0): Tensor[] {
    return N.split(this.handle, sizeOrSizes, dim).map((x) => new Tensor(x));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return N.chunk(this.handle, chunks, dim).map((x) => new Tensor(x));
  }
  unbind(dim = 0): Tensor[] {
    return N.unbind(this.handle, dim).map((x) => new Tensor(x));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(N.indexSelect(this.handle, dim, index.handle));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(N.gather(this.handle, dim, index.handle));
  }
  scatter(dim: number, index: Tensor, src: TensorOrScalar): Tensor {
    return new Tensor(N.scatter(this.handle, dim, index.handle, h(src)));
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(N.scatterAdd(this.handle, dim, index.handle, src.handle));
  }
  indexAdd(dim: number, index: Tensor, source: Tensor): Tensor {
    return new Tensor(N.indexAdd(this.handle, dim, index.handle, source.handle));
  }
  maskedFill(mask: Tensor, value: Scalar): Tensor {
    return new Tensor(N.maskedFill(this.handle, mask.handle, value));
  }
  maskedSelect(mask: Tensor): Tensor {
    return new Tensor(N.maskedSelect(this.handle, mask.handle));
  }
  /** Advanced indexing: index([rows, null, cols]) as t[rows, :, cols] with index tensors. */
  index(indices: (Tensor | null)[]): Tensor {
    return new Tensor(N.index(this.handle, indices.map((i) => (i === null ? null : i.handle))));
  }
  nonzero(): Tensor {
    return new Tensor(N.nonzero(this.handle));
  }
  tril(diagonal = 0): Tensor {
    return new Tensor(N.tril(this.handle, diagonal));
  }
  triu(diagonal = 0): Tensor {
    return new Tensor(N.triu(this.handle, diagonal));
  }
  diag(diagonal = 0): Tensor {
    return new Tensor(N.diag(this.handle, diagonal));
  }
  unfold(dim: number, size: number, step: number): Tensor {
    return new Tensor(N.unfold(this.handle, dim, size, step));
  }

  // ---- in place (for optimisers, initialisers and buffers) ----
  add_(other: TensorOrScalar, alpha = 1): this {
    N.add_(this.handle, h(other), alpha);
    return this;
  }
  sub_(other: TensorOrScalar, alpha = 1): this {
    N.sub_(this.handle, h(other), alpha);
    return this;
  }
  mul_(other: TensorOrScalar): this {
    N.mul_(this.handle, h(other));
    return this;
  }
  div_(other: TensorOrScalar): this {
    N.div_(this.handle, h(other));
    return this;
  }
  /** this += value * t1 * t2 */
  addcmul_(t1: Tensor, t2: Tensor, value = 1): this {
    N.addcmul_(this.handle, t1.handle, t2.handle, value);
    return this;
  }
  /** this += value * t1 / t2 */
  addcdiv_(t1: Tensor, t2: Tensor, value = 1): this {
    N.addcdiv_(this.handle, t1.handle, t2.handle, value);
    return this;
  }
  lerp_(end: Tensor, weight: number): this {
    N.lerp_(this.handle, end.handle, weight);
    return this;
  }
  copy_(src: Tensor): this {
    N.copy_(this.handle, src.handle);
    return this;
  }
  zero_(): this {
    N.zero_(this.handle);
    return this;
  }
  fill_(value: Scalar): this {
    N.fill_(this.handle, value);
    return this;
  }
  sqrt_(): this {
    N.sqrt_(this.handle);
    return this;
  }
  clamp_(min: number | null, max: number | null = null): this {
    N.clamp_(this.handle, min, max);
    return this;
  }
  relu_(): this {
    N.relu_(this.handle);
    return this;
  }
  uniform_(from = 0, to = 1): this {
    N.uniform_(this.handle, from, to);
    return this;
  }
  normal_(mean = 0, std = 1): this {
    N.normal_(this.handle, mean, std);
    return this;
  }
}

registerTensorClass(Tensor);

/** Wraps a native handle (for modules that call the addon directly). */
export function wrap(handle: Handle): Tensor {
  return new Tensor(handle);
}
