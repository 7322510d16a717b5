// 2-D convolution layer, as torch.nn.Conv2d.
import { type Tensor, empty, F } from '../engine/index.js';
import { Module } from './module.js';
import { resetWeightAndBias_ } from './init.js';

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

export interface Conv2dOptions {
  stride?: Pair;
  /** A number, a pair [h, w], or 'same' (stride 1, output size = input size; odd effective kernels). */
  padding?: Pair | 'same';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

/**
 * input [N, inChannels, H, W] -> [N, outChannels, H', W'].
 * weight [outChannels, inChannels / groups, kH, kW], bias [outChannels].
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same';
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, o: Conv2dOptions = {}) {
    super();
    const positive = (name: string, v: number) => {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Conv2d: ${name} must be a positive integer, got ${v}`);
    };
    positive('inChannels', inChannels);
    positive('outChannels', outChannels);
    this.kernelSize = pair(kernelSize);
    this.stride = pair(o.stride ?? 1);
    this.dilation = pair(o.dilation ?? 1);
    this.groups = o.groups ?? 1;
    this.kernelSize.forEach((v) => positive('kernelSize', v));
    this.stride.forEach((v) => positive('stride', v));
    this.dilation.forEach((v) => positive('dilation', v));
    positive('groups', this.groups);
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new RangeError(`Conv2d: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${this.groups})`);
    }
    if (o.padding === 'same') {
      if (this.stride[0] !== 1 || this.stride[1] !== 1) throw new Error(`Conv2d: padding 'same' needs stride 1, got [${this.stride.join(', ')}]`);
      this.kernelSize.forEach((k, i) => {
        if ((this.dilation[i]! * (k - 1)) % 2) throw new Error(`Conv2d: padding 'same' needs odd kernels, got ${this.kernelSize.join('x')}`);
      });
      this.padding = 'same';
    } else {
      this.padding = pair(o.padding ?? 0);
      this.padding.forEach((v) => {
        if (!Number.isInteger(v) || v < 0) throw new RangeError(`Conv2d: padding must be non-negative integers or 'same', got ${v}`);
      });
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    const [kh, kw] = this.kernelSize;
    this.registerParameter('weight', empty([outChannels, inChannels / this.groups, kh, kw]));
    this.registerParameter('bias', (o.bias ?? true) ? empty([outChannels]) : null);
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
    if (s.length !== 4 || s[1] !== this.inChannels) {
      throw new Error(`Conv2d(${this.inChannels}, ${this.outChannels}): expected input [N, ${this.inChannels}, H, W], got [${s.join(', ')}]`);
    }
    return F.conv2d(input, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  extraRepr(): string {
    const p = this.padding === 'same' ? "'same'" : `[${this.padding.join(', ')}]`;
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}], stride=[${this.stride.join(', ')}], padding=${p}${this.groups > 1 ? `, groups=${this.groups}` : ''}, bias=${this.bias !== null}`;
  }
}
