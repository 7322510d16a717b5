// The batch transform interface, Compose, and helpers shared by the augmentations.
//
// Every augmentation works on a whole batch x: float32 [B, C, H, W] with values in [0, 1]
// (Normalize excepted, which is usually last) and returns a new tensor; it never modifies x.
// Randomness: each transform draws its per-sample parameters in JS from the Rng it is given
// (src/data/rng.ts), never from libtorch's global generator, so the output depends only on the
// input and the Rng's state. The loader hands every batch its own Rng derived from
// (seed, epoch, batch index), which makes augmented batches reproducible and resumable.
import { Tensor, tensor } from '../../engine/index.js';
import type { Rng } from '../rng.js';

export interface BatchTransform {
  /** x: float [B, C, H, W]; returns a new tensor (x is left alone). */
  apply(x: Tensor, rng: Rng): Tensor;
}

/** Applies transforms in order, all drawing from the same Rng. */
export class Compose implements BatchTransform {
  readonly transforms: readonly BatchTransform[];
  constructor(transforms: readonly BatchTransform[]) {
    for (const [i, t] of transforms.entries()) {
      if (!t || typeof t.apply !== 'function') throw new TypeError(`Compose: transforms[${i}] has no apply(x, rng) method`);
    }
    this.transforms = [...transforms];
  }
  apply(x: Tensor, rng: Rng): Tensor {
    let y = x;
    for (const t of this.transforms) {
      const next = t.apply(y, rng);
      if (y !== x) y.dispose();
      y = next;
    }
    return y === x ? x.clone() : y;
  }
}

/** Checks that x is a floating [B, C, H, W] batch; returns its shape. */
export function batchShape(x: Tensor, who: string): [number, number, number, number] {
  const s = x.shape;
  if (s.length !== 4) throw new Error(`${who}: expected a batch [B, C, H, W], got shape [${s.join(', ')}]`);
  const dt = x.dtype;
  if (dt !== 'float32' && dt !== 'float64' && dt !== 'float16' && dt !== 'bfloat16') {
    throw new Error(`${who}: expected a floating batch (convert uint8 images with .float().div(255)), got ${dt}`);
  }
  return s as [number, number, number, number];
}

/** Per-sample values as a [B, 1, 1, 1] tensor of x's dtype and device, for broadcasting. */
export function perSample(values: Float32Array, like: Tensor): Tensor {
  return tensor(values, { shape: [values.length, 1, 1, 1], dtype: like.dtype, device: like.device });
}

/** Per-sample yes/no decisions as a bool [B, 1, 1, 1] tensor on x's device. */
export function perSampleMask(mask: Uint8Array, like: Tensor): Tensor {
  return tensor(mask, { shape: [mask.length, 1, 1, 1], dtype: 'bool', device: like.device });
}

/** A probability in [0, 1], or a clear error naming the option. */
export function checkProbability(p: number, who: string): number {
  if (!(typeof p === 'number' && p >= 0 && p <= 1)) throw new RangeError(`${who}: p must be a probability in [0, 1], got ${p}`);
  return p;
}

/** Uniform in [lo, hi). */
export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}
