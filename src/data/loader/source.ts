// Image sources the loader reads from: anything that can gather images by index as NCHW uint8 bytes.
// The on-disk cache reader (src/data/cache) fits this interface; memorySource wraps bytes in memory.

/** How a worker thread opens its own copy of a source: `(await import(module))[fn](...args)`. */
export interface WorkerRecipe {
  /** A module URL or absolute path. */
  module: string;
  /** The exported function that returns an ImageSource. */
  fn: string;
  /** Its arguments (structured-cloneable: numbers, strings, SharedArrayBuffers, ...). */
  args: unknown[];
}

export interface ImageSource {
  /** Number of images. */
  readonly count: number;
  /** [C, H, W] of every image. */
  readonly shape: readonly number[];
  /** One class index per image, or null when unlabeled. */
  readonly labels: Int32Array | null;
  /** The images at these indices, in that order, as one uint8 array [n, C, H, W]. */
  readIndices(indices: Int32Array): Uint8Array;
  /** Present when a worker thread can open the same source (used for prefetching). */
  readonly workerRecipe?: WorkerRecipe;
}

/** Bytes per image of a source with shape [C, H, W]. */
export function imageBytes(shape: readonly number[]): number {
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`image shape must be [C, H, W] with positive integers, got [${shape.join(', ')}]`);
  }
  return shape[0]! * shape[1]! * shape[2]!;
}

/**
 * A source over images already in memory: `images` holds count x C x H x W uint8 bytes (NCHW).
 * When `images` lives in a SharedArrayBuffer (see toShared) a worker thread can read it too,
 * so the loader can gather the next batch off the main thread.
 */
export function memorySource(images: Uint8Array, shape: readonly number[], labels: ArrayLike<number> | null = null): ImageSource {
  const per = imageBytes(shape);
  if (images.length % per !== 0) throw new Error(`memorySource: ${images.length} bytes is not a whole number of [${shape.join(', ')}] images (${per} bytes each)`);
  const count = images.length / per;
  let lab: Int32Array | null = null;
  if (labels !== null) {
    if (labels.length !== count) throw new Error(`memorySource: ${labels.length} labels for ${count} images`);
    lab = Int32Array.from(labels);
  }
  const shared = typeof SharedArrayBuffer !== 'undefined' && images.buffer instanceof SharedArrayBuffer;
  return {
    count,
    shape: [...shape],
    labels: lab,
    readIndices(indices: Int32Array): Uint8Array {
      const out = new Uint8Array(indices.length * per);
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k]!;
        if (!(i >= 0 && i < count)) throw new RangeError(`memorySource: index ${i} out of range [0, ${count})`);
        out.set(images.subarray(i * per, (i + 1) * per), k * per);
      }
      return out;
    },
    workerRecipe: shared
      ? { module: import.meta.url, fn: 'memorySourceFromShared', args: [images.buffer, images.byteOffset, images.length, [...shape]] }
      : undefined,
  };
}

/** Opens a memorySource on a SharedArrayBuffer (runs in the prefetch worker). */
export function memorySourceFromShared(buffer: SharedArrayBuffer, byteOffset: number, length: number, shape: number[]): ImageSource {
  return memorySource(new Uint8Array(buffer, byteOffset, length), shape);
}

/** A copy of bytes in a SharedArrayBuffer (so that worker threads can read it without copying). */
export function toShared(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}
