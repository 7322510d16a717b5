// IDX files (the MNIST layout): magic 0x0000 TT DD, DD big-endian u32 dimensions, then row-major data.
// Files ending in .gz are gunzipped first.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface IdxArray {
  shape: number[];
  /** The values as stored (IDX type 0x08: unsigned bytes). */
  data: Uint8Array;
}

export function readIdx(path: string): IdxArray {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read IDX file: ${(e as Error).message}`);
  }
  if (path.endsWith('.gz')) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new Error(`${path}: not a valid gzip file: ${(e as Error).message}`);
    }
  }
  return parseIdx(buf, path);
}

export function parseIdx(buf: Buffer, path = '<buffer>'): IdxArray {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw new Error(`${path}: not an IDX file (expected magic bytes 00 00 TT DD)`);
  }
  const type = buf[2]!;
  const ndim = buf[3]!;
  if (type !== 0x08) throw new Error(`${path}: IDX element type 0x${type.toString(16)} unsupported (expected 0x08, unsigned byte)`);
  if (ndim < 1 || buf.length < 4 + 4 * ndim) throw new Error(`${path}: IDX header truncated (${ndim} dims, ${buf.length} bytes)`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(buf.readUInt32BE(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = 4 + 4 * ndim;
  if (buf.length - offset !== count) {
    throw new Error(`${path}: IDX data has ${buf.length - offset} bytes but shape [${shape.join(', ')}] needs ${count} (truncated or corrupt file)`);
  }
  return { shape, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, count) };
}
