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
