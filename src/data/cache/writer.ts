// Writes a cache folder (see format.ts): images appended in order into bounded shards, labels,
// and per-channel pixel statistics; finish() writes labels.i32 and, last, manifest.json.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { makeManifest } from '../../artifacts/manifest.js';
import { CACHE_FORMAT, CACHE_STAGE, CACHE_VERSION, LABELS_FILE, MANIFEST_FILE, shardFileName, type CacheManifest, type ShardInfo } from './format.js';

/** Exact per-channel mean and std on [0, 1] from byte histograms. */
export class PixelStats {
  readonly #hist: Float64Array;
  constructor(
    readonly channels: number,
    readonly plane: number,
  ) {
    this.#hist = new Float64Array(channels * 256);
  }
  /** Adds one C x H x W image. */
  add(chw: Uint8Array): void {
    const h = this.#hist;
    for (let c = 0; c < this.channels; c++) {
      const base = c * 256;
      const end = (c + 1) * this.plane;
      for (let i = c * this.plane; i < end; i++) h[base + chw[i]!]!++;
    }
  }
  result(): { mean: number[]; std: number[] } {
    const mean: number[] = [];
    const std: number[] = [];
    for (let c = 0; c < this.channels; c++) {
      let n = 0;
      let s = 0;
      for (let v = 0; v < 256; v++) {
        n += this.#hist[c * 256 + v]!;
        s += this.#hist[c * 256 + v]! * v;
      }
      const m = n > 0 ? s / n : 0;
      let ss = 0;
      for (let v = 0; v < 256; v++) ss += this.#hist[c * 256 + v]! * (v - m) ** 2;
      mean.push(m / 255);
      std.push(n > 0 ? Math.sqrt(ss / n) / 255 : 0);
    }
    return { mean, std };
  }
}

const BUFFER_BYTES = 4 << 20;

/** Writes a new file and flushes it to disk (the folder is renamed into place afterwards). */
function writeDurable(path: string, data: Buffer): void {
  const fd = openSync(path, 'wx');
  try {
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class CacheWriter {
  readonly bytesPerImage: number;
  readonly perShard: number;
  readonly shards: ShardInfo[] = [];
  readonly stats: PixelStats;
  #labels: number[] = [];
  #labeled: boolean | null = null;
  #fd: number | null = null;
  #buf: Buffer;
  #used = 0;
  count = 0;

  constructor(
    readonly dir: string,
    readonly shape: [number, number, number],
    shardBytes: number,
  ) {
    this.bytesPerImage = shape[0] * shape[1] * shape[2];
    this.perShard = Math.max(1, Math.floor(shardBytes / this.bytesPerImage));
    this.stats = new PixelStats(shape[0], shape[1] * shape[2]);
    this.#buf = Buffer.allocUnsafe(Math.max(this.bytesPerImage, Math.floor(BUFFER_BYTES / this.bytesPerImage) * this.bytesPerImage));
  }

  /** Appends one C x H x W image with its label (null when unlabeled; all or none must have one). */
  add(chw: Uint8Array, label: number | null): void {
    if (chw.length !== this.bytesPerImage) throw new Error(`cache writer: image of ${chw.length} bytes, expected ${this.bytesPerImage}`);
    const labeled = label !== null;
    if (this.#labeled === null) this.#labeled = labeled;
    else if (this.#labeled !== labeled) throw new Error(`cache writer: image ${this.count} ${labeled ? 'has' : 'lacks'} a label, unlike the images before it`);
    const last = this.shards[this.shards.length - 1];
    if (!last || last.count === this.perShard) {
      this.#closeShard();
      const file = shardFileName(this.shards.length);
      this.#fd = openSync(join(this.dir, file), 'wx');
      this.shards.push({ file, count: 0 });
    }
    if (this.#used + chw.length > this.#buf.length) this.#flush();
    this.#buf.set(chw, this.#used);
    this.#used += chw.length;
    this.shards[this.shards.length - 1]!.count++;
    this.stats.add(chw);
    if (labeled) this.#labels.push(label);
    this.count++;
  }

  #flush(): void {
    for (let off = 0; off < this.#used; ) off += writeSync(this.#fd!, this.#buf, off, this.#used - off);
    this.#used = 0;
  }

  #closeShard(): void {
    if (this.#fd === null) return;
    this.#flush();
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = null;
  }

  /** Closes the files on failure (the folder is then removed by the caller). */
  abort(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  /** Writes labels and the manifest; `rest` gives the fields the writer does not know. */
  finish(rest: Pick<CacheManifest, 'config' | 'sourceDescription' | 'classNames' | 'fit' | 'skipped' | 'ignoredFiles'> & { started?: string }): CacheManifest {
    this.#closeShard();
    const labeled = this.#labeled === true;
    let classCounts: number[] | null = null;
    if (labeled) {
      const k = rest.classNames?.length ?? 0;
      classCounts = new Array<number>(k).fill(0);
      const buf = Buffer.alloc(4 * this.#labels.length);
      this.#labels.forEach((l, i) => {
        if (!(l >= 0 && l < k)) throw new Error(`cache writer: label ${l} of image ${i} outside [0, ${k})`);
        classCounts![l]!++;
        buf.writeInt32LE(l, 4 * i);
      });
      writeDurable(join(this.dir, LABELS_FILE), buf);
    }
    const { mean, std } = this.stats.result();
    const manifest = makeManifest({
      format: CACHE_FORMAT, version: CACHE_VERSION, stage: CACHE_STAGE, config: rest.config, created: rest.started, extra: {
      sourceDescription: rest.sourceDescription,
      count: this.count,
      shape: this.shape,
      classNames: labeled ? rest.classNames : null,
      classCounts,
      mean,
      std,
      fit: rest.fit,
      shards: this.shards,
      labelsFile: labeled ? LABELS_FILE : null,
      skipped: rest.skipped,
      ignoredFiles: rest.ignoredFiles,
    } }) as CacheManifest;
    writeDurable(join(this.dir, MANIFEST_FILE), Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
    return manifest;
  }
}
