// Normalize: (x - mean[c]) / std[c] per channel, as torchvision's Normalize. Deterministic.
import { Tensor, tensor, tidy } from '../../engine/index.js';
import { type BatchTransform, batchShape } from './transform.js';

export class Normalize implements BatchTransform {
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** mean and std: one value per channel (or a single value for all channels). */
  constructor(mean: readonly number[] | number, std: readonly number[] | number) {
    this.mean = typeof mean === 'number' ? [mean] : [...mean];
    this.std = typeof std === 'number' ? [std] : [...std];
    if (this.mean.length === 0 || this.mean.length !== this.std.length) {
      throw new Error(`Normalize: mean and std need the same number of values (one per channel), got ${this.mean.length} and ${this.std.length}`);
    }
    for (const s of this.std) if (!(s > 0)) throw new RangeError(`Normalize: std values must be positive, got [${this.std.join(', ')}]`);
  }
  apply(x: Tensor): Tensor {
    const [, c] = batchShape(x, 'Normalize');
    const k = this.mean.length;
    if (k !== 1 && k !== c) throw new Error(`Normalize: ${k} mean/std values for a batch with ${c} channels`);
    return tidy(() => {
      const o = { shape: [1, k, 1, 1], dtype: x.dtype, device: x.device };
      return x.sub(tensor(new Float32Array(this.mean), o)).div(tensor(new Float32Array(this.std), o));
    });
  }
}

/** A sample's std below this (pixel values in [0, 1]) is not amplified: flat background stays flat. */
export const MIN_SAMPLE_STD = 1e-2;

/**
 * Per sample: zero mean and unit variance over all its values ([N, ...] -> same shape), the std
 * floored at MIN_SAMPLE_STD. Jigsaw tiles are prepared so, and so are full images for a trunk
 * trained on them.
 */
export function standardizePerImage(x: Tensor): Tensor {
  return tidy(() => {
    const flat = x.reshape(x.shape[0]!, -1);
    const std = flat.std(1, { correction: 0, keepdim: true }).clamp(MIN_SAMPLE_STD);
    return flat.sub(flat.mean(1, true)).div(std).view(x.shape);
  });
}
