// Local response normalisation (Krizhevsky et al. 2012), as torch.nn.LocalResponseNorm.
import { type Tensor, F } from '../engine/index.js';
import { Module } from './module.js';

/** b_c = a_c / (k + alpha/size * sum of a^2 over the `size` channels around c)^beta; input [N, C, H, W]. */
export class LocalResponseNorm extends Module {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
  constructor(size: number, alpha = 1e-4, beta = 0.75, k = 1) {
    super();
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`LocalResponseNorm: size must be a positive integer, got ${size}`);
    this.size = size;
    this.alpha = alpha;
    this.beta = beta;
    this.k = k;
  }
  forward(input: Tensor): Tensor {
    return F.localResponseNorm(input, this.size, this.alpha, this.beta, this.k);
  }
  extraRepr(): string {
    return `${this.size}, alpha=${this.alpha}, beta=${this.beta}, k=${this.k}`;
  }
}
