// Linear (fully connected) layer and Identity, as torch.nn.Linear / torch.nn.Identity.
import { type Tensor, empty, F } from '../engine/index.js';
import { Module } from './module.js';
import { resetWeightAndBias_ } from './init.js';

/** y = x W^T + b. input [..., inFeatures] -> [..., outFeatures]; weight [out, in], bias [out]. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, o: { bias?: boolean } = {}) {
    super();
    for (const [k, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`Linear: ${k} must be a non-negative integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.registerParameter('weight', empty([outFeatures, inFeatures]));
    this.registerParameter('bias', (o.bias ?? true) ? empty([outFeatures]) : null);
    this.resetParameters();
  }

  get weight(): Tensor {
    return this.getParameter('weight')!;
  }
  get bias(): Tensor | null {
    return this.getParameter('bias');
  }

  /** PyTorch's default: weight kaiming-uniform with a=sqrt(5) (so ±1/sqrt(fanIn)), bias uniform ±1/sqrt(fanIn). */
  resetParameters(): void {
    resetWeightAndBias_(this.weight, this.bias);
  }

  forward(input: Tensor): Tensor {
    const s = input.shape;
    if (s.length === 0 || s[s.length - 1] !== this.inFeatures) {
      throw new Error(`Linear(${this.inFeatures}, ${this.outFeatures}): expected input [..., ${this.inFeatures}], got [${s.join(', ')}]`);
    }
    return F.linear(input, this.weight, this.bias);
  }

  extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Returns its input unchanged (a placeholder, e.g. for a removed head). */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}
