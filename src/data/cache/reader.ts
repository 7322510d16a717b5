// Reading a prepared image cache (see format.ts). Images are read from the shard files by range,
// so a cache larger than memory can be used; `memory: true` loads it all once instead (into a
// SharedArrayBuffer, which prefetch worker threads then read without a copy of their own).
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fromBytes, type Tensor } from '../../engine/index.js';
import type { ImageSource, WorkerRecipe } from '../loader/source.js';
import { checkManifest, MANIFEST_FILE, type CacheManifest } from './format.js';

export interface OpenCacheOptions {
  /** Load every image into memory now (a SharedArrayBuffer) instead of reading shards on demand. */
  memory?: boolean;
}

/**
 * An open cache. Indices are image positions 0..count-1; every read returns a fresh uint8 array
 * of n x C x H x W bytes (NCHW, row-major) in the order asked for.
 */
export interface ImageCache extends ImageSource {
  /** Absolute path of the cache folder. */
  readonly dir: string;
  readonly manifest: CacheManifest;
  readonly count: number;
  /** [C, H, W]. */
  readonly shape: readonly [number, number, number];
  /** C * H * W. */
  readonly bytesPerImage: number;
  /** One class index per image (0..classNames.length-1), or null when unlabeled. */
  readonly labels: Int32Array | null;
  readonly classNames: string[] | null;
  /** Images start..start+n-1 as n x C x H x W bytes. */
  readRange(start: number, n: number): Uint8Array;
  /** The images at these indices, in this order (repeats allowed), as n x C x H x W bytes. */
  readIndices(indices: ArrayLike<number>): Uint8Array;
  /** Every image as count x C x H x W bytes (throws when that is more than half the machine's memory). */
  readAll(): Uint8Array;
  /** Every image as a uint8 Tensor [N, C, H, W] (same memory limit as readAll). */
  toTensor(): Tensor;
  /** Closes the shard files; later reads throw. */
  close(): void;
  readonly workerRecipe: WorkerRecipe;
}

/** Opens the cache in `dir`, checking its manifest, shard sizes and labels. */
export function openCache(dir: string, opts: OpenCacheOptions = {}): ImageCache {
  const cache = new DiskCache(resolve(dir));
  if (!opts.memory) return cache;
  const all = new Uint8Array(new SharedArrayBuffer(cache.count * cache.bytesPerImage));
  if (cache.count > 0) all.set(cache.readRange(0, cache.count));
  cache.close();
  return new MemoryCache(cache.dir, cache.manifest, cache.labels, all);
}

/** Opens a cache whose images are already in a SharedArrayBuffer (used by worker threads). */
export function openCacheShared(dir: string, images: SharedArrayBuffer): ImageCache {
  const meta = new DiskCache(resolve(dir));
  meta.close();
  return new MemoryCache(meta.dir, meta.manifest, meta.labels, new Uint8Array(images));
}

/** Reads and checks DIR/manifest.json. */
export function readManifest(dir: string): CacheManifest {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${dir}: not a prepared cache (no ${MANIFEST_FILE}; run 'selfsup data prepare' first)`);
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  return checkManifest(parsed, path);
}

function readLabels(dir: string, m: CacheManifest): Int32Array | null {
  if (m.labelsFile === null) return null;
  const path = join(dir, m.labelsFile);
  const buf = readFileSync(path);
  if (buf.length !== m.count * 4) throw new Error(`${path}: ${buf.length} bytes, expected ${m.count * 4} (${m.count} int32 labels)`);
  const labels = new Int32Array(m.count);
  for (let i = 0; i < m.count; i++) labels[i] = buf.readInt32LE(4 * i);
  const k = m.classNames?.length ?? 0;
  for (let i = 0; i < m.count; i++) {
    if (labels[i]! < 0 || labels[i]! >= k) throw new Error(`${path}: label ${labels[i]} of image ${i} outside [0, ${k}) (${k} class names)`);
  }
  return labels;
}

function checkRange(start: number, n: number, count: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(n) || start < 0 || n < 0 || start + n > count) {
    throw new RangeError(`cache: range [${start}, ${start + n}) outside [0, ${count})`);
  }
}

function memoryLimit(bytes: number, what: string): void {
  const limit = totalmem() / 2;
  if (bytes > limit) {
    throw new Error(`cache: ${what} needs ${(bytes / 2 ** 30).toFixed(1)} GiB, more than half this machine's memory; read it by range instead (readRange/readIndices)`);
  }
}

abstract class CacheBase {
  readonly count: number;
  readonly shape: readonly [number, number, number];
  readonly bytesPerImage: number;
  readonly classNames: string[] | null;
  constructor(
    readonly dir: string,
    readonly manifest: CacheManifest,
    readonly labels: Int32Array | null,
  ) {
    this.count = manifest.count;
    this.shape = [...manifest.shape] as [number, number, number];
    this.bytesPerImage = this.shape[0] * this.shape[1] * this.shape[2];
    this.classNames = manifest.classNames;
  }
  abstract readRange(start: number, n: number): Uint8Array;
  abstract readIndices(indices: ArrayLike<number>): Uint8Array;
  readAll(): Uint8Array {
    memoryLimit(this.count * this.bytesPerImage, `reading all ${this.count} images`);
    return this.readRange(0, this.count);
  }
  toTensor(): Tensor {
    return fromBytes(this.readAll(), [this.count, ...this.shape], 'uint8');
  }
  protected checkIndex(i: number): void {
    if (!(Number.isInteger(i) && i >= 0 && i < this.count)) throw new RangeError(`cache: index ${i} out of range [0, ${this.count})`);
  }
}

class DiskCache extends CacheBase implements ImageCache {
  /** starts[s] = index of the first image of shard s; starts[shards] = count. */
  #starts: number[] = [0];
  #fds: (number | null)[];
  #closed = false;

  constructor(dir: string) {
    const manifest = readManifest(dir);
    super(dir, manifest, readLabels(dir, manifest));
    for (const s of manifest.shards) {
      const path = join(dir, s.file);
      let size: number;
      try {
        size = statSync(path).size;
      } catch {
        throw new Error(`${path}: shard file missing (the cache is damaged; prepare it again with --force)`);
      }
      if (size !== s.count * this.bytesPerImage) {
        throw new Error(`${path}: ${size} bytes, expected ${s.count * this.bytesPerImage} (${s.count} images of [${this.shape.join(', ')}]); the cache is damaged`);
      }
      this.#starts.push(this.#starts[this.#starts.length - 1]! + s.count);
    }
    this.#fds = manifest.shards.map(() => null);
  }

  get workerRecipe(): WorkerRecipe {
    return { module: import.meta.url, fn: 'openCache', args: [this.dir] };
  }

  #fd(s: number): number {
    if (this.#closed) throw new Error(`cache ${this.dir}: already closed`);
    let fd = this.#fds[s];
    if (fd == null) fd = this.#fds[s] = openSync(join(this.dir, this.manifest.shards[s]!.file), 'r');
    return fd;
  }

  /** Shard holding image i (binary search over starts). */
  #shardOf(i: number): number {
    let lo = 0;
    let hi = this.#starts.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    // Skip empty shards.
    while (this.#starts[lo + 1]! <= i) lo++;
    return lo;
  }

  /** Copies images [start, start+n) into out at byte offset `at`, shard by shard. */
  #copy(start: number, n: number, out: Uint8Array, at: number): void {
    const per = this.bytesPerImage;
    while (n > 0) {
      const s = this.#shardOf(start);
      const take = Math.min(n, this.#starts[s + 1]! - start);
      const fd = this.#fd(s);
      let pos = (start - this.#starts[s]!) * per;
      let off = at;
      const end = at + take * per;
      while (off < end) {
        const got = readSync(fd, out, off, end - off, pos);
        if (got === 0) throw new Error(`${join(this.dir, this.manifest.shards[s]!.file)}: unexpected end of file (the cache is damaged)`);
        off += got;
        pos += got;
      }
      start += take;
      n -= take;
      at = end;
    }
  }

  readRange(start: number, n: number): Uint8Array {
    checkRange(start, n, this.count);
    const out = new Uint8Array(n * this.bytesPerImage);
    this.#copy(start, n, out, 0);
    return out;
  }

  readIndices(indices: ArrayLike<number>): Uint8Array {
    const per = this.bytesPerImage;
    const out = new Uint8Array(indices.length * per);
    // Consecutive indices are read with one call.
    let k = 0;
    while (k < indices.length) {
      const first = indices[k]!;
      this.checkIndex(first);
      let run = 1;
      while (k + run < indices.length && indices[k + run] === first + run) run++;
      this.#copy(first, run, out, k * per);
      k += run;
    }
    return out;
  }

  close(): void {
    this.#closed = true;
    for (let s = 0; s < this.#fds.length; s++) {
      const fd = this.#fds[s];
      if (fd != null) closeSync(fd);
      this.#fds[s] = null;
    }
  }
}

class MemoryCache extends CacheBase implements ImageCache {
  constructor(
    dir: string,
    manifest: CacheManifest,
    labels: Int32Array | null,
    private readonly images: Uint8Array,
  ) {
    super(dir, manifest, labels);
    if (images.length !== this.count * this.bytesPerImage) {
      throw new Error(`cache ${dir}: ${images.length} bytes in memory, expected ${this.count * this.bytesPerImage}`);
    }
  }

  get workerRecipe(): WorkerRecipe {
    return { module: import.meta.url, fn: 'openCacheShared', args: [this.dir, this.images.buffer] };
  }

  readRange(start: number, n: number): Uint8Array {
    checkRange(start, n, this.count);
    return this.images.slice(start * this.bytesPerImage, (start + n) * this.bytesPerImage);
  }

  readIndices(indices: ArrayLike<number>): Uint8Array {
    const per = this.bytesPerImage;
    const out = new Uint8Array(indices.length * per);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      this.checkIndex(i);
      out.set(this.images.subarray(i * per, (i + 1) * per), k * per);
    }
    return out;
  }

  close(): void {}
}
