// Random horizontal flip: each image is mirrored left-right (x -> W-1-x) with probability p.
import { Tensor, tidy, where } from '../../engine/index.js';
import type { Rng } from '../rng.js';
import { type BatchTransform, batchShape, checkProbability, perSampleMask } from './transform.js';

export class RandomHorizontalFlip implements BatchTransform {
  readonly p: number;
  constructor(p = 0.5) {
    this.p = checkProbability(p, 'RandomHorizontalFlip');
  }
  /** One decision per sample: 1 = flip. */
  draw(rng: Rng, batch: number): Uint8Array {
    const m = new Uint8Array(batch);
    for (let i = 0; i < batch; i++) m[i] = rng.next() < this.p ? 1 : 0;
    return m;
  }
  apply(x: Tensor, rng: Rng): Tensor {
    const [b] = batchShape(x, 'RandomHorizontalFlip');
    const m = this.draw(rng, b);
    return tidy(() => where(perSampleMask(m, x), x.flip(3), x));
  }
}
