// Activation layers, as torch.nn.ReLU / LeakyReLU.
import { type Tensor, F } from '../engine/index.js';
import { Module } from './module.js';

/** max(x, 0); with inplace the input tensor itself is overwritten and returned. */
export class ReLU extends Module {
  readonly inplace: boolean;
  constructor(o: { inplace?: boolean } = {}) {
    super();
    this.inplace = o.inplace ?? false;
  }
  forward(input: Tensor): Tensor {
    return this.inplace ? input.relu_() : F.relu(input);
  }
  extraRepr(): string {
    return this.inplace ? 'inplace=true' : '';
  }
}

/** x for x >= 0, negativeSlope * x otherwise. */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01) {
    super();
    if (!Number.isFinite(negativeSlope)) throw new RangeError(`LeakyReLU: negativeSlope must be a finite number, got ${negativeSlope}`);
    this.negativeSlope = negativeSlope;
  }
  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, this.negativeSlope);
  }
  extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}
