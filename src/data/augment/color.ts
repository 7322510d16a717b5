// Colour augmentations on [0, 1] images, following torchvision's tensor definitions:
// grayscale L = 0.2989 R + 0.587 G + 0.114 B (ITU-R 601-2 luma), and each jitter a blend
// clamp(f * x + (1 - f) * target, 0, 1) with target black (brightness), the mean of the
// grayscale image (contrast) or the grayscale image itself (saturation).
// One-channel images are their own grayscale: saturation and grayscale leave them unchanged.
import { Tensor, tensor, tidy, where } from '../../engine/index.js';
import type { Rng } from '../rng.js';
import { type BatchTransform, batchShape, checkProbability, perSample, perSampleMask, uniform } from './transform.js';

export const LUMA_WEIGHTS = [0.2989, 0.587, 0.114] as const;

/** Luma of x [B, C, H, W] as [B, 1, H, W] (C = 3), or x itself for C = 1. */
export function grayscale(x: Tensor): Tensor {
  const [, c] = batchShape(x, 'grayscale');
  if (c === 1) return x.clone();
  if (c !== 3) throw new Error(`grayscale: expected 1 or 3 channels, got ${c}`);
  return tidy(() => x.mul(tensor(new Float32Array(LUMA_WEIGHTS), { shape: [1, 3, 1, 1], dtype: x.dtype, device: x.device })).sum(1, true));
}

/** Random grayscale (torchvision RandomGrayscale): with probability p an image becomes its luma, repeated over its channels. */
export class RandomGrayscale implements BatchTransform {
  readonly p: number;
  constructor(p = 0.1) {
    this.p = checkProbability(p, 'RandomGrayscale');
  }
  draw(rng: Rng, batch: number): Uint8Array {
    const m = new Uint8Array(batch);
    for (let i = 0; i < batch; i++) m[i] = rng.next() < this.p ? 1 : 0;
    return m;
  }
  apply(x: Tensor, rng: Rng): Tensor {
    const [b, c] = batchShape(x, 'RandomGrayscale');
    if (c !== 1 && c !== 3) throw new Error(`RandomGrayscale: expected 1 or 3 channels, got ${c}`);
    const m = this.draw(rng, b);
    if (c === 1) return x.clone();
    return tidy(() => where(perSampleMask(m, x), grayscale(x), x));
  }
}

type Range = number | readonly [number, number];
/** torchvision's factor range: b -> [max(0, 1 - b), 1 + b], or an explicit [min, max]. */
function factorRange(v: Range | undefined, name: string): [number, number] | null {
  if (v === undefined || v === 0) return null;
  if (typeof v === 'number') {
    if (!(v > 0)) throw new RangeError(`ColorJitter: ${name} must be non-negative, got ${v}`);
    return [Math.max(0, 1 - v), 1 + v];
  }
  const [lo, hi] = v;
  if (!(lo >= 0 && lo <= hi)) throw new RangeError(`ColorJitter: ${name} range must satisfy 0 <= min <= max, got [${v.join(', ')}]`);
  return [lo, hi];
}

export interface ColorJitterOptions {
  brightness?: Range;
  contrast?: Range;
  saturation?: Range;
  /** Probability that an image is jittered at all (SimCLR applies jitter with p = 0.8). */
  p?: number;
}

const BRIGHTNESS = 0, CONTRAST = 1, SATURATION = 2;

/**
 * Colour jitter (torchvision ColorJitter without hue): per sample, factors drawn uniformly
 * from each range and the three adjustments applied in a random order, as torchvision does
 * per image. Factor 1 leaves an image unchanged.
 */
export class ColorJitter implements BatchTransform {
  readonly ranges: ([number, number] | null)[];
  readonly p: number;
  constructor(o: ColorJitterOptions = {}) {
    this.ranges = [factorRange(o.brightness, 'brightness'), factorRange(o.contrast, 'contrast'), factorRange(o.saturation, 'saturation')];
    this.p = checkProbability(o.p ?? 1, 'ColorJitter');
  }
  /** Per sample: the order of the three adjustments and their factors (1 where disabled or not applied). */
  draw(rng: Rng, batch: number): { order: Uint8Array; factors: Float32Array } {
    const order = new Uint8Array(batch * 3), factors = new Float32Array(batch * 3);
    for (let n = 0; n < batch; n++) {
      const apply = rng.next() < this.p;
      const perm = rng.permutation(3);
      for (let k = 0; k < 3; k++) {
        order[n * 3 + k] = perm[k]!;
        const r = this.ranges[k];
        const f = r ? uniform(rng, r[0], r[1]) : 1;
        factors[n * 3 + k] = apply ? f : 1;
      }
    }
    return { order, factors };
  }
  apply(x: Tensor, rng: Rng): Tensor {
    const [b, c] = batchShape(x, 'ColorJitter');
    if (c !== 1 && c !== 3) throw new Error(`ColorJitter: expected 1 or 3 channels, got ${c}`);
    const { order, factors } = this.draw(rng, b);
    return tidy(() => {
      let y = x;
      // Step k: sample n applies adjustment order[n, k]; all three are the same blend with a different target.
      for (let k = 0; k < 3; k++) {
        const f = new Float32Array(b), wc = new Float32Array(b), ws = new Float32Array(b);
        let active = false, anyC = false, anyS = false;
        for (let n = 0; n < b; n++) {
          const op = order[n * 3 + k]!;
          f[n] = factors[n * 3 + op]!;
          if (f[n] === 1) continue;
          active = true;
          if (op === CONTRAST) (wc[n] = 1), (anyC = true);
          if (op === SATURATION) (ws[n] = 1), (anyS = true);
        }
        if (!active) continue;
        const ft = perSample(f, y);
        let blended = y.mul(ft);
        if (anyC || anyS) {
          const gray = grayscale(y);
          let target: Tensor | null = null;
          if (anyC) target = gray.mean([1, 2, 3], true).mul(perSample(wc, y));
          if (anyS) {
            const s = gray.mul(perSample(ws, y));
            target = target ? target.add(s) : s;
          }
          blended = blended.add(target!.mul(ft.rsub(1)));
        }
        y = blended.clamp(0, 1);
      }
      return y === x ? x.clone() : y;
    });
  }
}
