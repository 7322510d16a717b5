// Element types. The order of DTYPES is the code the native layer uses (native/src/handle.cc).
export const DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'uint8', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

type IndexOf<T extends readonly unknown[], Acc extends number[] = []> = Acc['length'] extends T['length']
  ? Acc[number]
  : IndexOf<T, [...Acc, Acc['length']]>;
/** A dtype's code: its index in DTYPES (0 float32 ... 7 bool). */
export type DTypeCode = IndexOf<typeof DTYPES>;

const CODES = new Map<string, DTypeCode>(DTYPES.map((d, i) => [d, i as DTypeCode]));

export function dtypeCode(d: DType): DTypeCode {
  const c = CODES.get(d);
  if (c === undefined) throw new TypeError(`unknown dtype '${String(d)}'; expected one of ${DTYPES.join(', ')}`);
  return c;
}

/** True for the name of a dtype. */
export function isDType(s: string): s is DType {
  return CODES.has(s);
}

export function dtypeOfCode(c: number): DType {
  const d = DTYPES[c];
  if (d === undefined) throw new TypeError(`unknown dtype code ${c}`);
  return d;
}

const SIZES: Record<DType, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, uint8: 1, bool: 1 };

/** Bytes per element as stored. */
export function elementSize(d: DType): number {
  const s = SIZES[d];
  if (s === undefined) throw new TypeError(`unknown dtype '${String(d)}'; expected one of ${DTYPES.join(', ')}`);
  return s;
}

export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
}

/** The typed array `Tensor.data()` returns for each dtype (float16/bfloat16 read back as float32). */
export type TypedArrayOf<D extends DType> = D extends 'float64'
  ? Float64Array
  : D extends 'int64'
    ? BigInt64Array
    : D extends 'int32'
      ? Int32Array
      : D extends 'uint8' | 'bool'
        ? Uint8Array
        : Float32Array;

export type AnyTypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export function viewOf(buf: ArrayBuffer, d: DType): AnyTypedArray {
  switch (d) {
    case 'float64':
      return new Float64Array(buf);
    case 'int64':
      return new BigInt64Array(buf);
    case 'int32':
      return new Int32Array(buf);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buf);
    default:
      return new Float32Array(buf);
  }
}

/** The typed arrays tensors are made from, each holding one dtype. */
export type HostArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint8ClampedArray;

/** Throws a TypeError unless a is one of the HostArray types. */
export function assertHostArray(a: ArrayBufferView): asserts a is HostArray {
  if (
    !(a instanceof Float32Array || a instanceof Float64Array || a instanceof BigInt64Array || a instanceof Int32Array ||
      a instanceof Uint8Array || a instanceof Uint8ClampedArray)
  ) {
    throw new TypeError(`unsupported typed array ${a.constructor.name}; use Float32Array, Float64Array, BigInt64Array, Int32Array or Uint8Array`);
  }
}

/** The dtype a typed array holds natively. */
export function dtypeOfArray(a: HostArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  return 'uint8';
}
