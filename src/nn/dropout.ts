// Dropout (Srivastava et al. 2014), as torch.nn.Dropout.
import { type Tensor, F } from '../engine/index.js';
import { Module } from './module.js';

/** In training, zeroes each value with probability p and scales the rest by 1/(1-p); identity in eval. */
export class Dropout extends Module {
  readonly p: number;
  constructor(p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: probability p must be in [0, 1], got ${p}`);
    this.p = p;
  }
  forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, this.training);
  }
  extraRepr(): string {
    return `p=${this.p}`;
  }
}
