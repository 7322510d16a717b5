// The safetensors format (https://github.com/huggingface/safetensors), byte-compatible with
// the reference writer:
//   [u64 little-endian N] [N bytes of JSON header, space-padded to a multiple of 8] [data]
// header: {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..],
//          "data_offsets": [begin, end]}, ...}; offsets are relative to the start of the data,
// tensors are packed in order without gaps, and the last one ends at the end of the file.
// Order (as the reference's `prepare`): by dtype alignment descending (its Dtype enum order,
// reversed), then by name compared as UTF-8 bytes. The reference keeps __metadata__ in a hash
// map, so its key order is unspecified there; here the keys are sorted the same way as names.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { Tensor, fromBytes, type DType, type Device } from '../engine/index.js';
import { writeFileAtomic } from './atomic.js';

/** A safetensors dtype name and our dtype, in the reference's Dtype enum order (ascending). */
const DTYPE_TABLE: readonly (readonly [string, DType, number])[] = [
  ['BOOL', 'bool', 1],
  ['U8', 'uint8', 1],
  ['F16', 'float16', 2],
  ['BF16', 'bfloat16', 2],
  ['I32', 'int32', 4],
  ['F32', 'float32', 4],
  ['F64', 'float64', 8],
  ['I64', 'int64', 8],
];
const BY_NAME = new Map(DTYPE_TABLE.map(([n, d, size], rank) => [n, { dtype: d, size, rank }]));
const BY_DTYPE = new Map(DTYPE_TABLE.map(([n, d, size], rank) => [d, { name: n, size, rank }]));
/** Names the format defines that this engine cannot hold. */
const KNOWN_UNSUPPORTED = new Set(['I8', 'I16', 'U16', 'U32', 'U64', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'C64', 'F4', 'F6_E2M3', 'F6_E3M2']);

/** The reference reader's limit on the JSON header. */
export const MAX_HEADER_BYTES = 100_000_000;
export const METADATA_KEY = '__metadata__';

/** A safetensors file that cannot be read or written; names the file and, when known, the tensor. */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly key: string | undefined,
    problem: string,
  ) {
    super(`${file}: ${key === undefined ? '' : `tensor '${key}': `}${problem}`);
    this.name = 'SafetensorsError';
  }
}

export type NamedTensors = Map<string, Tensor> | Record<string, Tensor>;
export type SafetensorsMetadata = Record<string, string>;

/** One header entry: where a tensor's bytes are, relative to the start of the data section. */
export interface SafetensorsTensorInfo {
  dtype: DType;
  shape: number[];
  /** [begin, end) in bytes from the start of the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** Tensors in file order (ascending offsets). */
  tensors: Map<string, SafetensorsTensorInfo>;
  metadata: SafetensorsMetadata;
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
  /** Bytes in the data section. */
  dataBytes: number;
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
/** Compares as Rust's String ordering does (UTF-8 bytes), not as JS's UTF-16 units. */
const byteOrder = (a: string, b: string): number => Buffer.compare(utf8(a), utf8(b));

function entriesOf(tensors: NamedTensors): [string, Tensor][] {
  return tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
}

/** The bytes of a file in the safetensors format (header and data, as the reference writes them). */
export function serializeSafetensors(tensors: NamedTensors, metadata?: SafetensorsMetadata): Buffer {
  return Buffer.concat(serializeChunks(tensors, metadata, '<buffer>'));
}

/** The file as a list of chunks (length, header, each tensor's bytes), to write without one big copy. */
function serializeChunks(tensors: NamedTensors, metadata: SafetensorsMetadata | undefined, file: string): Uint8Array[] {
  const items = entriesOf(tensors).map(([key, t]) => {
    if (key === METADATA_KEY) throw new SafetensorsError(file, key, `the name ${METADATA_KEY} is reserved for metadata`);
    if (!(t instanceof Tensor)) throw new SafetensorsError(file, key, `expected a Tensor, got ${t === null ? 'null' : typeof t}`);
    if (t.isDisposed) throw new SafetensorsError(file, key, 'tensor was disposed');
    const dtype = t.dtype;
    const info = BY_DTYPE.get(dtype);
    if (info === undefined) throw new SafetensorsError(file, key, `dtype ${dtype} has no safetensors name`);
    return { key, tensor: t, dtype, info, shape: t.shape };
  });
  items.sort((a, b) => b.info.rank - a.info.rank || byteOrder(a.key, b.key));

  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(byteOrder);
    const fields = keys.map((k) => {
      const v = metadata[k];
      if (typeof v !== 'string') throw new SafetensorsError(file, undefined, `metadata '${k}' must be a string, got ${typeof v}`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${fields.join(',')}}`);
  }
  const data: Uint8Array[] = [];
  let offset = 0;
  for (const { key, tensor, info, shape } of items) {
    const bytes = tensor.rawData();
    const expected = shape.reduce((a, b) => a * b, 1) * info.size;
    if (bytes.byteLength !== expected) {
      throw new SafetensorsError(file, key, `engine returned ${bytes.byteLength} bytes for shape [${shape}] ${info.name}, expected ${expected}`);
    }
    const end = offset + bytes.byteLength;
    // Built by hand, not as a JS object: objects put integer-like keys ("0", "1") first.
    parts.push(`${JSON.stringify(key)}:{"dtype":"${info.name}","shape":[${shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    data.push(bytes);
    offset = end;
  }
  const header = `{${parts.join(',')}}`;
  const headerBytes = utf8(header);
  const padded = Buffer.alloc(Math.ceil(headerBytes.byteLength / 8) * 8, 0x20);
  headerBytes.copy(padded);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(padded.byteLength));
  return [len, padded, ...data];
}

/** The top-level keys of a JSON object text, in order, repeats included (the text must be valid JSON). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (/\s/.test(text[k] ?? '')) k++;
        if (text[k] === ':') keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      }
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses and checks a header: `prefix` is the file's first bytes (at least 8 + N of them),
 * `fileBytes` the whole file's length. Every tensor must fit its dtype and shape, and the
 * tensors must tile the data section exactly.
 */
function parseHeader(prefix: Uint8Array, fileBytes: number, file: string): SafetensorsHeader {
  if (fileBytes < 8) throw new SafetensorsError(file, undefined, `truncated: ${fileBytes} bytes, too short for the 8-byte header length`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(file, undefined, `header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`);
  const headerLen = Number(n);
  if (8 + headerLen > fileBytes) {
    throw new SafetensorsError(file, undefined, `truncated: header length ${headerLen} runs past the end of the file (${fileBytes} bytes)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(prefix.subarray(8, 8 + headerLen));
  } catch {
    throw new SafetensorsError(file, undefined, 'header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(file, undefined, `header is not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SafetensorsError(file, undefined, 'header must be a JSON object');
  }
  const seen = new Set<string>();
  for (const k of topLevelKeys(text)) {
    if (seen.has(k)) throw new SafetensorsError(file, k, 'duplicate name in header');
    seen.add(k);
  }

  const metadata: SafetensorsMetadata = {};
  const entries: [string, SafetensorsTensorInfo][] = [];
  for (const [key, raw] of Object.entries(json as Record<string, unknown>)) {
    if (key === METADATA_KEY) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SafetensorsError(file, undefined, `${METADATA_KEY} must be an object of strings`);
      for (const [mk, mv] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof mv !== 'string') throw new SafetensorsError(file, undefined, `${METADATA_KEY}['${mk}'] must be a string, got ${JSON.stringify(mv)}`);
        metadata[mk] = mv;
      }
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SafetensorsError(file, key, 'entry must be an object with dtype, shape and data_offsets');
    const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string') throw new SafetensorsError(file, key, `dtype must be a string, got ${JSON.stringify(dtype)}`);
    const dt = BY_NAME.get(dtype);
    if (dt === undefined) {
      const why = KNOWN_UNSUPPORTED.has(dtype) ? 'is not supported by this engine' : 'is unknown';
      throw new SafetensorsError(file, key, `dtype '${dtype}' ${why}; expected one of ${DTYPE_TABLE.map((d) => d[0]).join(', ')}`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) throw new SafetensorsError(file, key, `shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount) || offs[0] > offs[1]) {
      throw new SafetensorsError(file, key, `data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    if (numel * dt.size !== end - begin) {
      throw new SafetensorsError(file, key, `shape [${shape}] of ${dtype} needs ${numel * dt.size} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push([key, { dtype: dt.dtype, shape: shape as number[], dataOffsets: [begin, end] }]);
  }

  // The tensors must tile [0, dataBytes) exactly: no overlap, no gap, nothing after the last.
  entries.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  const dataStart = 8 + headerLen;
  const dataBytes = fileBytes - dataStart;
  let pos = 0;
  let prev = '';
  for (const [key, { dataOffsets: [begin, end] }] of entries) {
    if (begin < pos) throw new SafetensorsError(file, key, `data_offsets [${begin}, ${end}] overlap tensor '${prev}' (which ends at ${pos})`);
    if (begin > pos) throw new SafetensorsError(file, key, `gap: data_offsets start at ${begin} but the previous tensor ends at ${pos}`);
    if (end > dataBytes) {
      throw new SafetensorsError(file, key, `truncated: data_offsets [${begin}, ${end}] run past the end of the data (${dataBytes} bytes)`);
    }
    pos = end;
    prev = key;
  }
  if (pos !== dataBytes) throw new SafetensorsError(file, undefined, `${dataBytes - pos} bytes after the last tensor (data section is ${dataBytes} bytes, tensors cover ${pos})`);
  return { tensors: new Map(entries), metadata, dataStart, dataBytes };
}

export interface SafetensorsParseOptions {
  /** Where to put the tensors ('cpu' by default). */
  device?: Device;
  /** The file name used in error messages. */
  source?: string;
}

export interface Safetensors {
  /** The tensors, in file order. */
  tensors: Map<string, Tensor>;
  metadata: SafetensorsMetadata;
}

/** Reads a whole safetensors file held in memory. The tensors are new; dispose them when done. */
export function parseSafetensors(buf: Uint8Array, opts: SafetensorsParseOptions = {}): Safetensors {
  const file = opts.source ?? '<buffer>';
  const header = parseHeader(buf, buf.byteLength, file);
  const tensors = new Map<string, Tensor>();
  try {
    for (const [key, info] of header.tensors) {
      const [begin, end] = info.dataOffsets;
      const bytes = buf.subarray(header.dataStart + begin, header.dataStart + end);
      tensors.set(key, fromBytes(bytes, info.shape, info.dtype, { device: opts.device }));
    }
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  }
  return { tensors, metadata: header.metadata };
}

/** Writes tensors (and string metadata) to `path` as safetensors, atomically. */
export function saveSafetensors(path: string, tensors: NamedTensors, metadata?: SafetensorsMetadata): void {
  writeFileAtomic(path, serializeChunks(tensors, metadata, path));
}

/** Reads a safetensors file. The tensors are new; dispose them when done. */
export function loadSafetensors(path: string, opts: { device?: Device } = {}): Safetensors {
  return parseSafetensors(readFileSync(path), { device: opts.device, source: path });
}

/** Reads and checks only the header of a safetensors file (names, dtypes, shapes, offsets, metadata). */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (len: number, pos: number): Buffer => {
      const b = Buffer.alloc(len);
      let got = 0;
      while (got < len) {
        const k = readSync(fd, b, got, len - got, pos + got);
        if (k === 0) break;
        got += k;
      }
      return b.subarray(0, got);
    };
    const head = read(Math.min(8, size), 0);
    if (head.byteLength < 8) return parseHeader(head, head.byteLength, path);
    const n = head.readBigUInt64LE(0);
    // Too-long lengths are reported by parseHeader before it looks past the first 8 bytes.
    const want = n > BigInt(Math.min(MAX_HEADER_BYTES, size - 8)) ? 0 : Number(n);
    return parseHeader(Buffer.concat([head, read(want, 8)]), size, path);
  } finally {
    closeSync(fd);
  }
}
