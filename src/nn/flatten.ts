// Flatten, as torch.nn.Flatten.
import type { Tensor } from '../engine/index.js';
import { Module } from './module.js';

/** Merges dims startDim..endDim into one; the default keeps the batch dim: [N, C, H, W] -> [N, C*H*W]. */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim = 1, endDim = -1) {
    super();
    if (!Number.isInteger(startDim) || !Number.isInteger(endDim)) throw new RangeError(`Flatten: startDim and endDim must be integers, got ${startDim}, ${endDim}`);
    this.startDim = startDim;
    this.endDim = endDim;
  }
  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }
  extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}
