// NumPy's .npy format (numpy/lib/format.py): the magic "\x93NUMPY", a major and minor version
// byte, the header length (uint16 LE in 1.0, uint32 LE in 2.0/3.0), an ASCII (3.0: UTF-8)
// Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), } padded with
// spaces and ended by '\n' so that the data starts at a multiple of 64 bytes, then the
// elements in C order. We write 1.0 (2.0 when the header would not fit) and read all three.
// Element bytes are taken as little-endian, which is also this machine's order (x86, arm64).
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { tempPathFor, writeFileAtomic } from './atomic.js';

export type NpyDType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8';
export type NpyArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface NpyHeader {
  shape: number[];
  dtype: NpyDType;
  fortranOrder: boolean;
  /** Byte offset of the first element. */
  dataOffset: number;
}

export interface Npy {
  shape: number[];
  dtype: NpyDType;
  data: NpyArray;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64; // numpy >= 1.14 aligns the data to 64 bytes

const DESCR: Record<NpyDType, string> = { float32: '<f4', float64: '<f8', int64: '<i8', int32: '<i4', uint8: '|u1' };
const ITEM_SIZE: Record<NpyDType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, uint8: 1 };

/** Bytes per element of a .npy dtype. */
export function npyItemSize(dtype: NpyDType): number {
  return ITEM_SIZE[dtype];
}

/** The dtype whose elements a typed array holds. */
export function npyDTypeOf(data: ArrayBufferView): NpyDType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  throw new TypeError(`.npy: unsupported array ${data.constructor.name}; expected Float32Array, Float64Array, BigInt64Array, Int32Array or Uint8Array`);
}

function allocate(dtype: NpyDType, n: number): NpyArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'uint8':
      return new Uint8Array(n);
  }
}

/** Maps a descr string to our dtype, or explains why it is not supported. */
function parseDescr(path: string, descr: string): NpyDType {
  // '|' (not applicable) and '=' (native) are fine for 1-byte types; '=' is little-endian here.
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  if (m === null) throw new Error(`${path}: unsupported .npy dtype '${descr}' (structured or unknown); expected float32, float64, int64, int32 or uint8`);
  const [, order, kind, size] = m;
  if (order === '>' && size !== '1') {
    throw new Error(`${path}: big-endian .npy data ('${descr}') is not supported; convert it with numpy's arr.astype(arr.dtype.newbyteorder('<'))`);
  }
  const key = `${kind}${size}`;
  const found = (Object.keys(DESCR) as NpyDType[]).find((d) => DESCR[d].slice(1) === key);
  if (found === undefined) throw new Error(`${path}: unsupported .npy dtype '${descr}'; expected float32 (<f4), float64 (<f8), int64 (<i8), int32 (<i4) or uint8 (|u1)`);
  return found;
}

/** Parses the header dict literal; numpy writes it with repr(), so keys and strings are quoted. */
function parseHeaderDict(path: string, text: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!text.trimStart().startsWith('{') || descr === null || fortran === null || shape === null) {
    throw new Error(`${path}: malformed .npy header ${JSON.stringify(text.trim())}; expected a dict with 'descr', 'fortran_order' and 'shape'`);
  }
  const dims = shape[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const v = Number(s.replace(/L$/, '')); // Python 2 wrote longs as 3L
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${path}: malformed .npy shape (${shape[1]})`);
      return v;
    });
  return { descr: descr[1]!, fortranOrder: fortran[1] === 'True', shape: dims };
}

function readHeaderFd(fd: number, path: string): NpyHeader {
  const pre = Buffer.alloc(12);
  const got = readSync(fd, pre, 0, 12, 0);
  if (got < 10 || !MAGIC.every((b, i) => pre[i] === b)) {
    throw new Error(`${path}: not a .npy file (it does not start with the magic bytes \\x93NUMPY)`);
  }
  const major = pre[6]!;
  let headerLen: number, start: number;
  if (major === 1) {
    headerLen = pre.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (got < 12) throw new Error(`${path}: truncated .npy file (header cut short)`);
    headerLen = pre.readUInt32LE(8);
    start = 12;
  } else {
    throw new Error(`${path}: unsupported .npy format version ${major}.${pre[7]}; expected 1.0, 2.0 or 3.0`);
  }
  const raw = Buffer.alloc(headerLen);
  if (readSync(fd, raw, 0, headerLen, start) !== headerLen) throw new Error(`${path}: truncated .npy file (header cut short)`);
  const text = raw.toString(major === 3 ? 'utf8' : 'latin1');
  const dict = parseHeaderDict(path, text);
  return { shape: dict.shape, dtype: parseDescr(path, dict.descr), fortranOrder: dict.fortranOrder, dataOffset: start + headerLen };
}

function withFd<T>(path: string, fn: (fd: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads only the header of a .npy file. */
export function readNpyHeader(path: string): NpyHeader {
  return withFd(path, (fd) => readHeaderFd(fd, path));
}

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function checkReadable(path: string, fd: number, h: NpyHeader): void {
  if (h.fortranOrder && h.shape.filter((d) => d > 1).length > 1) {
    throw new Error(`${path}: Fortran-order .npy data is not supported; save it from numpy with np.ascontiguousarray(arr)`);
  }
  const need = h.dataOffset + count(h.shape) * ITEM_SIZE[h.dtype];
  const size = fstatSync(fd).size;
  if (size < need) {
    throw new Error(`${path}: truncated .npy file: shape [${h.shape.join(', ')}] of ${h.dtype} needs ${need} bytes, the file has ${size}`);
  }
  if (size > need) throw new Error(`${path}: .npy file has ${size - need} bytes after the data of shape [${h.shape.join(', ')}] ${h.dtype}`);
}

/** Reads `n` elements' bytes at `pos` into `out` (from element `at`), in chunks (no 2 GiB limit). */
function readInto(fd: number, path: string, out: NpyArray, at: number, n: number, pos: number): void {
  const bytes = new Uint8Array(out.buffer, out.byteOffset + at * out.BYTES_PER_ELEMENT, n * out.BYTES_PER_ELEMENT);
  const CHUNK = 1 << 26;
  for (let off = 0; off < bytes.byteLength; ) {
    const len = Math.min(CHUNK, bytes.byteLength - off);
    const r = readSync(fd, bytes, off, len, pos + off);
    if (r === 0) throw new Error(`${path}: truncated .npy file (read stopped at byte ${pos + off})`);
    off += r;
  }
}

/** Reads a whole C-order .npy file. */
export function readNpy(path: string): Npy {
  return withFd(path, (fd) => {
    const h = readHeaderFd(fd, path);
    checkReadable(path, fd, h);
    const n = count(h.shape);
    const data = allocate(h.dtype, n);
    readInto(fd, path, data, 0, n, h.dataOffset);
    return { shape: h.shape, dtype: h.dtype, data };
  });
}

/**
 * Reads rows start..start+rows-1 (along the first dimension) of a C-order .npy file, so large
 * matrices can be processed in chunks. Returns their shape ([rows, ...rest]) and elements.
 */
export function readNpyRows(path: string, start: number, rows: number): Npy {
  return withFd(path, (fd) => {
    const h = readHeaderFd(fd, path);
    checkReadable(path, fd, h);
    if (h.shape.length === 0) throw new Error(`${path}: a 0-d .npy array has no rows`);
    const total = h.shape[0]!;
    if (!Number.isInteger(start) || !Number.isInteger(rows) || start < 0 || rows < 0 || start + rows > total) {
      throw new RangeError(`${path}: rows ${start}..${start + rows - 1} are out of range (the file has ${total} rows)`);
    }
    const rowLen = count(h.shape.slice(1));
    const data = allocate(h.dtype, rows * rowLen);
    readInto(fd, path, data, 0, rows * rowLen, h.dataOffset + start * rowLen * ITEM_SIZE[h.dtype]);
    return { shape: [rows, ...h.shape.slice(1)], dtype: h.dtype, data };
  });
}

/** The header bytes (magic, version, length, padded dict) for a C-order array. */
export function npyHeaderBytes(dtype: NpyDType, shape: readonly number[]): Uint8Array {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`.npy: bad shape [${shape.join(', ')}]; dims must be non-negative integers`);
  }
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${tuple}, }`;
  let major = 1;
  let pre = 10;
  if (dict.length + 1 + pre > 0xffff) {
    major = 2;
    pre = 12;
  }
  const total = Math.ceil((pre + dict.length + 1) / ALIGN) * ALIGN;
  const headerLen = total - pre;
  const out = Buffer.alloc(total, 0x20);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  if (major === 1) out.writeUInt16LE(headerLen, 8);
  else out.writeUInt32LE(headerLen, 8);
  out.write(dict, pre, 'latin1');
  out[total - 1] = 0x0a; // '\n'
  return out;
}

function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Writes a typed array as a C-order .npy file of the given shape, atomically. */
export function writeNpy(path: string, data: NpyArray, shape: readonly number[]): void {
  const dtype = npyDTypeOf(data);
  if (count(shape) !== data.length) {
    throw new RangeError(`writeNpy(${path}): shape [${shape.join(', ')}] holds ${count(shape)} elements, the data has ${data.length}`);
  }
  writeFileAtomic(path, [npyHeaderBytes(dtype, shape), bytesOf(data)]);
}

/**
 * Streams the rows of a .npy array of known shape to disk with bounded memory. The file is
 * written under a temporary name next to `path` and renamed into place by close(), which first
 * checks that exactly shape[0] rows were appended; until then `path` is untouched. abort()
 * removes the temporary file.
 */
export class NpyWriter {
  readonly path: string;
  readonly dtype: NpyDType;
  readonly shape: readonly number[];
  /** Rows appended so far. */
  rowsWritten = 0;
  #tmp: string;
  #fd: number | undefined;
  #rowLen: number;
  #pos: number;

  constructor(path: string, opts: { dtype: NpyDType; shape: readonly number[] }) {
    if (opts.shape.length === 0) throw new RangeError(`NpyWriter(${path}): shape must have at least one dimension (rows)`);
    if (!(opts.dtype in DESCR)) throw new TypeError(`NpyWriter(${path}): unsupported dtype '${opts.dtype}'`);
    const header = npyHeaderBytes(opts.dtype, opts.shape);
    this.path = path;
    this.dtype = opts.dtype;
    this.shape = [...opts.shape];
    this.#rowLen = count(opts.shape.slice(1));
    this.#tmp = tempPathFor(path);
    this.#fd = openSync(this.#tmp, 'wx', 0o644);
    this.#pos = 0;
    this.#write(header);
  }

  #write(bytes: Uint8Array): void {
    for (let off = 0; off < bytes.byteLength; ) {
      off += writeSync(this.#fd!, bytes, off, Math.min(bytes.byteLength - off, 1 << 30), this.#pos + off);
    }
    this.#pos += bytes.byteLength;
  }

  /** Appends whole rows (a typed array of this writer's dtype, a multiple of the row length). */
  append(rows: NpyArray): void {
    if (this.#fd === undefined) throw new Error(`NpyWriter(${this.path}): append after close() or abort()`);
    const dtype = npyDTypeOf(rows);
    if (dtype !== this.dtype) throw new TypeError(`NpyWriter(${this.path}): got ${dtype} rows, the file holds ${this.dtype}`);
    if (this.#rowLen === 0 ? rows.length !== 0 : rows.length % this.#rowLen !== 0) {
      throw new RangeError(`NpyWriter(${this.path}): got ${rows.length} elements, not a whole number of rows of ${this.#rowLen}`);
    }
    const n = this.#rowLen === 0 ? 0 : rows.length / this.#rowLen;
    if (this.rowsWritten + n > this.shape[0]!) {
      throw new RangeError(`NpyWriter(${this.path}): ${this.rowsWritten + n} rows appended, the shape [${this.shape.join(', ')}] has ${this.shape[0]}`);
    }
    this.#write(bytesOf(rows));
    this.rowsWritten += n;
  }

  /** Checks the row count, flushes, and renames the file into place. */
  close(): void {
    if (this.#fd === undefined) throw new Error(`NpyWriter(${this.path}): close() after close() or abort()`);
    if (this.rowsWritten !== this.shape[0]) {
      const msg = `NpyWriter(${this.path}): ${this.rowsWritten} rows appended, the shape [${this.shape.join(', ')}] needs ${this.shape[0]}`;
      this.abort();
      throw new Error(msg);
    }
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(this.#tmp, this.path);
    } catch (err) {
      try {
        unlinkSync(this.#tmp);
      } catch {
        // already gone
      }
      throw err;
    }
  }

  /** Drops the temporary file; the target is left as it was. Safe to call more than once. */
  abort(): void {
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {
        // closing is best effort here
      }
      this.#fd = undefined;
    }
    try {
      unlinkSync(this.#tmp);
    } catch {
      // never created, or already renamed/removed
    }
  }
}
