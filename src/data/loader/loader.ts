// The loader: seeded, resumable mini-batches over an image source, with the batch
// augmentation applied as tensor ops and the next batch's bytes gathered ahead of time.
//
// Batch b of epoch e depends only on (seed, e, b): its indices come from the epoch order
// (or class-balanced draws) and its augmentation from an Rng seeded with (seed, e, b). So a
// run restarted at (epoch, batch) sees exactly the batches an uninterrupted run would.
//
// Lifetimes: the tensors of a yielded Batch belong to the caller, who disposes them
// (dispose(batch) or batch.images.dispose()) or calls loader.batch() inside tidy().
import { type DType, type Device, type Tensor, fromBytes, tensor, tidy } from '../../engine/index.js';
import type { BatchTransform } from '../augment/transform.js';
import { Rng, deriveSeed } from '../rng.js';
import { type BatchReader, MainThreadReader, WorkerReader } from './reader.js';
import { STREAM, balancedBatch, epochOrder, groupByClass, shardLength, shardOrder, type Shard } from './sampler.js';
import { type ImageSource, imageBytes } from './source.js';

export interface LoaderOptions {
  batchSize: number;
  /** Seed of the order, the class-balanced draws and the augmentation (default 0). */
  seed?: number;
  /** Visit images in a new random order each epoch (default true); false: in index order. */
  shuffle?: boolean;
  /** Leave out the last, smaller batch of an epoch (default false). */
  dropLast?: boolean;
  /** The images of the source this loader visits (e.g. one side of trainValSplit); default all. */
  indices?: ArrayLike<number>;
  /** Labels to yield instead of the source's (e.g. cluster pseudo-labels), one per source image. */
  labels?: ArrayLike<number> | null;
  /**
   * Class-balanced sampling: every image of a batch is drawn by picking a class uniformly
   * among the classes present, then one of its images (with replacement). Needs labels.
   */
  balanced?: boolean;
  /** Batches per epoch when balanced (default: as many as the plain loader would have). */
  batchesPerEpoch?: number;
  /**
   * This process's shard of every epoch (DistributedSampler's semantics): each rank visits
   * every count-th image of the same seeded epoch order, padded to equal length, in batches of
   * batchSize; balanced draws and augmentation get a stream of their own per rank. Default: all.
   */
  shard?: Shard;
  /** Augmentation applied to every float batch (values in [0, 1]). */
  transform?: BatchTransform | null;
  /** 'float32' (default): images / 255 then the transform; 'uint8': the raw bytes, no transform. */
  dtype?: 'float32' | 'uint8';
  /** Device the images are moved to (as uint8) before conversion and augmentation. */
  device?: Device;
  /**
   * Gather the next batch on a worker thread while the current one is in use: 'auto' (default)
   * when the source has a workerRecipe, true (required), false (on the main thread).
   */
  prefetch?: boolean | 'auto';
}

export interface Batch {
  /** [B, C, H, W]: float32 (augmented) or uint8. Owned by the caller. */
  images: Tensor;
  /** int64 [B], or null for an unlabeled source. Owned by the caller. */
  labels: Tensor | null;
  /** The source index of each image. */
  indices: Int32Array;
  epoch: number;
  batch: number;
}

export interface Position {
  epoch: number;
  batch: number;
}

export class Loader {
  readonly source: ImageSource;
  readonly batchSize: number;
  readonly seed: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly balanced: boolean;
  readonly transform: BatchTransform | null;
  readonly dtype: 'float32' | 'uint8';
  readonly device: Device | undefined;
  /** Source indices this loader visits (all ranks' shards). */
  readonly indices: Int32Array;
  /** Rank and count of the shard; { rank: 0, count: 1 } without one. */
  readonly shard: Shard;
  /** Batches in one epoch. */
  readonly batchesPerEpoch: number;
  readonly #labels: Int32Array | null;
  readonly #groups: Int32Array[] | null;
  readonly #reader: BatchReader;
  readonly #orders = new Map<number, Int32Array>();

  constructor(source: ImageSource, o: LoaderOptions) {
    imageBytes(source.shape);
    this.source = source;
    if (!(Number.isInteger(o.batchSize) && o.batchSize > 0)) throw new RangeError(`Loader: batchSize must be a positive integer, got ${o.batchSize}`);
    this.batchSize = o.batchSize;
    this.seed = o.seed ?? 0;
    if (!Number.isInteger(this.seed)) throw new RangeError(`Loader: seed must be an integer, got ${o.seed}`);
    this.shuffle = o.shuffle ?? true;
    this.dropLast = o.dropLast ?? false;
    this.dtype = o.dtype ?? 'float32';
    if (this.dtype !== 'float32' && this.dtype !== 'uint8') throw new Error(`Loader: dtype must be 'float32' or 'uint8', got '${String(o.dtype)}'`);
    this.transform = o.transform ?? null;
    if (this.transform && this.dtype === 'uint8') throw new Error("Loader: a transform needs dtype 'float32' (uint8 batches are the raw bytes)");
    this.device = o.device;

    if (o.indices !== undefined) {
      this.indices = Int32Array.from(o.indices);
      for (const i of this.indices) {
        if (!(i >= 0 && i < source.count)) throw new RangeError(`Loader: indices contains ${i}, outside the source's [0, ${source.count})`);
      }
    } else this.indices = Int32Array.from({ length: source.count }, (_, i) => i);

    const labels = o.labels === undefined ? source.labels : o.labels;
    if (labels && labels.length !== source.count) throw new Error(`Loader: ${labels.length} labels for a source of ${source.count} images`);
    this.#labels = labels ? Int32Array.from(labels) : null;

    const shard = o.shard ?? { rank: 0, count: 1 };
    if (!(Number.isInteger(shard.count) && shard.count >= 1 && Number.isInteger(shard.rank) && shard.rank >= 0 && shard.rank < shard.count)) {
      throw new RangeError(`Loader: shard must have an integer count >= 1 and rank in [0, count), got rank ${shard.rank} of ${shard.count}`);
    }
    this.shard = shard;
    const n = shard.count === 1 ? this.indices.length : shardLength(this.indices.length, shard.count);
    this.balanced = o.balanced ?? false;
    if (this.balanced) {
      if (!this.#labels) throw new Error('Loader: balanced sampling needs labels (the source has none; pass options.labels)');
      this.#groups = groupByClass(this.#labels, this.indices);
      this.batchesPerEpoch = o.batchesPerEpoch ?? Math.max(1, this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize));
    } else {
      this.#groups = null;
      if (o.batchesPerEpoch !== undefined) throw new Error('Loader: batchesPerEpoch applies to balanced sampling only');
      this.batchesPerEpoch = this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    }
    if (!(Number.isInteger(this.batchesPerEpoch) && this.batchesPerEpoch >= 0)) throw new RangeError(`Loader: batchesPerEpoch must be a non-negative integer, got ${o.batchesPerEpoch}`);

    const prefetch = o.prefetch ?? 'auto';
    if (prefetch === true && !source.workerRecipe) throw new Error('Loader: prefetch needs a source a worker can open (workerRecipe); memorySource needs a SharedArrayBuffer (toShared)');
    this.#reader = prefetch !== false && source.workerRecipe ? new WorkerReader(source) : new MainThreadReader(source);
  }

  /** Whether batches are gathered on a worker thread. */
  get prefetching(): boolean {
    return this.#reader instanceof WorkerReader;
  }

  /** Source indices of batch b of an epoch (depends only on seed, epoch, b). */
  batchIndices(epoch: number, b: number): Int32Array {
    if (!(Number.isInteger(epoch) && epoch >= 0)) throw new RangeError(`Loader: epoch must be a non-negative integer, got ${epoch}`);
    if (!(Number.isInteger(b) && b >= 0 && b < this.batchesPerEpoch)) throw new RangeError(`Loader: batch ${b} out of range [0, ${this.batchesPerEpoch})`);
    if (this.#groups) return balancedBatch(this.#groups, this.batchSize, this.seed, epoch, this.#stream(b));
    let order = this.#orders.get(epoch);
    if (!order) {
      order = epochOrder(this.indices.length, this.seed, epoch, this.shuffle);
      if (this.shard.count > 1) order = shardOrder(order, this.shard);
      this.#orders.clear(); // keep one epoch's order
      this.#orders.set(epoch, order);
    }
    const pos = order.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, order.length));
    return pos.map((p) => this.indices[p]!);
  }

  /** Batch b of an epoch, read on the calling thread (tensors join the enclosing tidy scope). */
  batch(epoch: number, b: number): Batch {
    const idx = this.batchIndices(epoch, b);
    return this.#assemble(this.source.readIndices(idx), idx, epoch, b);
  }

  /** The batches of one epoch from batch `start` on, the next one read while this one is used. */
  epoch(epoch: number, start = 0): AsyncGenerator<Batch> {
    return this.batches({ epoch, batch: start }, epoch + 1);
  }

  /** Batches from a position (default the very start) up to the end of epoch endEpoch - 1. */
  async *batches(from: Partial<Position> = {}, endEpoch = (from.epoch ?? 0) + 1): AsyncGenerator<Batch> {
    let e = from.epoch ?? 0, b = from.batch ?? 0;
    if (b >= this.batchesPerEpoch) (e += 1), (b = 0);
    const advance = (p: Position): Position | null => {
      const q = p.batch + 1 < this.batchesPerEpoch ? { epoch: p.epoch, batch: p.batch + 1 } : { epoch: p.epoch + 1, batch: 0 };
      return q.epoch < endEpoch && this.batchesPerEpoch > 0 ? q : null;
    };
    let pos: Position | null = e < endEpoch && this.batchesPerEpoch > 0 ? { epoch: e, batch: b } : null;
    const start = (p: Position | null) => {
      if (!p) return null;
      const idx = this.batchIndices(p.epoch, p.batch);
      const bytes = this.#reader.read(idx);
      bytes.catch(() => {}); // awaited below; a batch abandoned by the caller must not raise
      return { idx, bytes };
    };
    let cur = start(pos);
    while (pos && cur) {
      const bytes = await cur.bytes;
      const nextPos = advance(pos);
      const next = start(nextPos); // the reader works on batch i + 1 while batch i is in use
      yield this.#assemble(bytes, cur.idx, pos.epoch, pos.batch);
      pos = nextPos;
      cur = next;
    }
  }

  /** Stops the prefetch worker (also safe to leave: it never keeps the process alive). */
  close(): Promise<void> {
    return this.#reader.close();
  }

  /** The counter of batch b's random draws: b itself, or b's place among every rank's batches. */
  #stream(b: number): number {
    return this.shard.count === 1 ? b : b * this.shard.count + this.shard.rank;
  }

  #assemble(bytes: Uint8Array, idx: Int32Array, epoch: number, b: number): Batch {
    const [c, h, w] = this.source.shape as [number, number, number];
    const n = idx.length;
    if (bytes.length !== n * c * h * w) throw new Error(`Loader: the source returned ${bytes.length} bytes for ${n} images of [${c}, ${h}, ${w}]`);
    const { images, labels } = tidy(() => {
      let x = fromBytes(bytes, [n, c, h, w], 'uint8');
      if (this.device) x = x.to(this.device);
      if (this.dtype === 'float32') {
        x = x.to('float32' as DType).div(255);
        if (this.transform) x = this.transform.apply(x, new Rng(deriveSeed(this.seed, STREAM.augment, epoch, this.#stream(b))));
      }
      let labels: Tensor | null = null;
      if (this.#labels) {
        const l = new Int32Array(n);
        for (let k = 0; k < n; k++) l[k] = this.#labels[idx[k]!]!;
        labels = tensor(l, { dtype: 'int64', device: this.device });
      }
      return { images: x, labels };
    });
    return { images, labels, indices: idx, epoch, batch: b };
  }
}
