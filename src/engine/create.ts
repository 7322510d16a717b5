// Tensor creation: from JS values, constants, ranges and random numbers.
import { N } from './native.js';
import { type DType, assertHostArray, dtypeCode, dtypeOfArray, elementSize } from './dtype.js';
import { Tensor, type Device, type Scalar, dimsOf } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

type Nested = number | boolean | Nested[];

function finish(t: Tensor, opts: TensorOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function shapeOfNested(v: Nested): number[] {
  const shape: number[] = [];
  let x: Nested = v;
  while (Array.isArray(x)) {
    shape.push(x.length);
    if (x.length === 0) break;
    x = x[0]!;
  }
  return shape;
}

function flattenNested(v: Nested, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (Array.isArray(v)) throw new TypeError('tensor(): ragged nested array (too deep at some position)');
    if (typeof v !== 'number' && typeof v !== 'boolean') {
      throw new TypeError(`tensor(): expected numbers or booleans, got ${typeof v} ${String(v)}`);
    }
    out.push(typeof v === 'boolean' ? Number(v) : v);
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[depth]) {
    throw new TypeError(`tensor(): ragged nested array: expected length ${shape[depth]} at depth ${depth}`);
  }
  for (const x of v) flattenNested(x, shape, depth + 1, out);
}

/**
 * A tensor from nested arrays, a typed array (with opts.shape, else 1-D) or a number.
 * Numbers default to float32, booleans to bool; typed arrays keep their own dtype.
 */
export function tensor(data: Nested | ArrayBufferView, opts: TensorOptions & { shape?: number[] } = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    assertHostArray(data);
    const src = dtypeOfArray(data);
    const shape = opts.shape ?? [data.length];
    const dst = opts.dtype ?? src;
    return finish(new Tensor(N.fromData(data, shape, dtypeCode(src), dtypeCode(dst), opts.device ?? null)), opts);
  }
  const nestedShape = shapeOfNested(data);
  const flat: number[] = [];
  flattenNested(data, nestedShape, 0, flat);
  const shape = opts.shape ?? nestedShape;
  if (opts.shape && opts.shape.reduce((a, b) => a * b, 1) !== flat.length) {
    throw new RangeError(`tensor: shape [${opts.shape.join(', ')}] does not hold the ${flat.length} values given`);
  }
  let isBool = typeof data === 'boolean';
  if (!isBool && Array.isArray(data)) {
    let x: Nested = data;
    while (Array.isArray(x) && x.length) x = x[0]!;
    isBool = typeof x === 'boolean';
  }
  const dtype = opts.dtype ?? (isBool ? 'bool' : 'float32');
  const staged = dtype === 'float32' ? new Float32Array(flat) : new Float64Array(flat);
  const src = dtype === 'float32' ? 'float32' : 'float64';
  return finish(new Tensor(N.fromData(staged, shape, dtypeCode(src), dtypeCode(dtype), opts.device ?? null)), opts);
}

/** A tensor of the given dtype from its raw little-endian bytes (as rawData() returns them). */
export function fromBytes(bytes: Uint8Array, shape: readonly number[], dtype: DType, opts: TensorOptions = {}): Tensor {
  const c = dtypeCode(dtype);
  const need = shape.reduce((a, b) => a * b, 1) * elementSize(dtype);
  if (bytes.byteLength !== need) {
    throw new RangeError(`fromBytes: got ${bytes.byteLength} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${need} bytes`);
  }
  return finish(new Tensor(N.fromData(bytes, [...shape], c, c, opts.device ?? null)), opts);
}

type ShapeArg = number | readonly number[];

const code = (o: TensorOptions, def: DType = 'float32') => dtypeCode(o.dtype ?? def);

function factory(fn: 'zeros' | 'ones' | 'empty' | 'rand' | 'randn') {
  return (shape: ShapeArg, opts: TensorOptions = {}): Tensor =>
    finish(new Tensor(N[fn](dimsOf([shape]), code(opts), opts.device ?? null)), opts);
}

export const zeros = factory('zeros');
export const ones = factory('ones');
export const empty = factory('empty');
/** Uniform on [0, 1). */
export const rand = factory('rand');
/** Standard normal. */
export const randn = factory('randn');

export function full(shape: ShapeArg, value: Scalar, opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.full(dimsOf([shape]), value, code(opts), opts.device ?? null)), opts);
}

/** arange(end) or arange(start, end, step); int64 when all arguments are integers, as in PyTorch. */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  const ints = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  return finish(new Tensor(N.arange(start, end, step, code(opts, ints ? 'int64' : 'float32'), opts.device ?? null)), opts);
}

export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.linspace(start, end, steps, code(opts), opts.device ?? null)), opts);
}

export function eye(n: number, m = n, opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.eye(n, m, code(opts), opts.device ?? null)), opts);
}

/** Integers uniform in [low, high), int64 by default. */
export function randint(low: number, high: number, shape: ShapeArg, opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.randint(low, high, dimsOf([shape]), code(opts, 'int64'), opts.device ?? null)), opts);
}

/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.randperm(n, code(opts, 'int64'), opts.device ?? null)), opts);
}

export const zerosLike = (t: Tensor): Tensor => new Tensor(N.zerosLike(t.handle));
export const onesLike = (t: Tensor): Tensor => new Tensor(N.onesLike(t.handle));
export const fullLike = (t: Tensor, v: Scalar): Tensor => new Tensor(N.fullLike(t.handle, v));
export const randLike = (t: Tensor): Tensor => new Tensor(N.randLike(t.handle));
export const randnLike = (t: Tensor): Tensor => new Tensor(N.randnLike(t.handle));
/** 0/1 draws with the probabilities in p (same shape and dtype as p). */
export const bernoulli = (p: Tensor): Tensor => new Tensor(N.bernoulli(p.handle));
/** numSamples indices per row drawn with the (unnormalised) probabilities in each row. */
export const multinomial = (p: Tensor, numSamples: number, replacement = false): Tensor =>
  new Tensor(N.multinomial(p.handle, numSamples, replacement));

