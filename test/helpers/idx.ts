// IDX files (the MNIST format) and small caches made from them, for tests.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareCache } from '../../src/data/index.js';

/** An unsigned-byte IDX file of the given dimensions. */
export function idxFile(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

/** A 1-channel cache in `out` from n side x side gray images (and labels), via an IDX folder in `work`. */
export async function grayCache(work: string, out: string, images: Uint8Array, side: number, labels: ArrayLike<number>): Promise<string> {
  const n = labels.length;
  writeFileSync(join(work, 'train-images-idx3-ubyte'), idxFile([n, side, side], images));
  writeFileSync(join(work, 'train-labels-idx1-ubyte'), idxFile([n], Uint8Array.from(labels)));
  await prepareCache(work, { out, size: side, quiet: true });
  return out;
}
