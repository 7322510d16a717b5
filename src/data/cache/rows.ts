// A few images of a cache as raw bytes, read straight from the shards with node:fs: no tensors and
// no native addon, so a reader of results (the report) can show images without loading libtorch.
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { checkManifest, MANIFEST_FILE, type CacheManifest } from './format.js';

export interface CacheRows {
  /** [C, H, W] of every image. */
  shape: [number, number, number];
  /** One C x H x W uint8 array per row asked for, in that order. */
  images: Uint8Array[];
  /** The rows' labels, or null for an unlabeled cache. */
  labels: number[] | null;
  classNames: string[] | null;
}

/** The checked manifest of the cache in `dir`. */
export function readCacheManifest(dir: string): CacheManifest {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) throw new Error(`${dir}: not a prepared cache (no ${MANIFEST_FILE})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  return checkManifest(parsed, path);
}

/** Reads bytes [offset, offset + n) of an open file; throws when the file is shorter. */
function readAt(fd: number, path: string, offset: number, n: number): Buffer {
  const buf = Buffer.alloc(n);
  for (let got = 0; got < n; ) {
    const r = readSync(fd, buf, got, n - got, offset + got);
    if (r === 0) throw new Error(`${path}: ends before byte ${offset + n} (truncated cache)`);
    got += r;
  }
  return buf;
}

/** The images (and labels) at `rows` of the cache in `dir`. */
export function readCacheRows(dir: string, rows: readonly number[]): CacheRows {
  const m = readCacheManifest(dir);
  const [c, h, w] = m.shape;
  const bytes = c * h * w;
  const starts: number[] = [];
  let total = 0;
  for (const s of m.shards) {
    starts.push(total);
    total += s.count;
  }
  for (const r of rows) if (!Number.isInteger(r) || r < 0 || r >= m.count) throw new Error(`${dir}: row ${r} outside the cache's ${m.count} images`);
  const fds = new Map<number, number>();
  try {
    const images = rows.map((r) => {
      let s = starts.length - 1;
      while (starts[s]! > r) s--;
      const path = join(dir, m.shards[s]!.file);
      if (!fds.has(s)) fds.set(s, openSync(path, 'r'));
      return new Uint8Array(readAt(fds.get(s)!, path, (r - starts[s]!) * bytes, bytes));
    });
    let labels: number[] | null = null;
    if (m.labelsFile) {
      const path = join(dir, m.labelsFile);
      const fd = openSync(path, 'r');
      try {
        labels = rows.map((r) => readAt(fd, path, 4 * r, 4).readInt32LE(0));
      } finally {
        closeSync(fd);
      }
    }
    return { shape: [c, h, w], images, labels, classNames: m.classNames };
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}
