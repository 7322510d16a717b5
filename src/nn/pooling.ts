// 2-D pooling layers, as torch.nn.MaxPool2d / AvgPool2d / AdaptiveAvgPool2d.
// Input [N, C, H, W] (or [C, H, W]); the kernel slides over H and W.
import { type Tensor, F } from '../engine/index.js';
import { Module } from './module.js';

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

function checkPair(layer: string, name: string, v: [number, number], min: number): void {
  for (const x of v) if (!Number.isInteger(x) || x < min) throw new RangeError(`${layer}: ${name} must be integers >= ${min}, got [${v.join(', ')}]`);
}

export interface Pool2dOptions {
  /** Default: the kernel size. */
  stride?: Pair;
  /** Implicit padding on both sides (at most half the kernel). */
  padding?: Pair;
  /** Round the output size up instead of down. */
  ceilMode?: boolean;
}

function checkPool(layer: string, k: [number, number], s: [number, number], p: [number, number]): void {
  checkPair(layer, 'kernelSize', k, 1);
  checkPair(layer, 'stride', s, 1);
  checkPair(layer, 'padding', p, 0);
  if (p[0] > k[0] / 2 || p[1] > k[1] / 2) throw new RangeError(`${layer}: padding [${p.join(', ')}] must be at most half the kernel [${k.join(', ')}]`);
}

export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode: boolean;
  constructor(kernelSize: Pair, o: Pool2dOptions & { dilation?: Pair } = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(o.stride ?? kernelSize);
    this.padding = pair(o.padding ?? 0);
    this.dilation = pair(o.dilation ?? 1);
    this.ceilMode = o.ceilMode ?? false;
    checkPair('MaxPool2d', 'dilation', this.dilation, 1);
    const effective = this.kernelSize.map((k, i) => (k - 1) * this.dilation[i]! + 1) as [number, number];
    checkPool('MaxPool2d', effective, this.stride, this.padding);
  }
  forward(input: Tensor): Tensor {
    return F.maxPool2d(input, this.kernelSize, { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }
  extraRepr(): string {
    return `kernelSize=[${this.kernelSize.join(', ')}], stride=[${this.stride.join(', ')}], padding=[${this.padding.join(', ')}], ceilMode=${this.ceilMode}`;
  }
}

export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  /** Count padded zeros in the average (PyTorch's default). */
  readonly countIncludePad: boolean;
  constructor(kernelSize: Pair, o: Pool2dOptions & { countIncludePad?: boolean } = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(o.stride ?? kernelSize);
    this.padding = pair(o.padding ?? 0);
    this.ceilMode = o.ceilMode ?? false;
    this.countIncludePad = o.countIncludePad ?? true;
    checkPool('AvgPool2d', this.kernelSize, this.stride, this.padding);
  }
  forward(input: Tensor): Tensor {
    return F.avgPool2d(input, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }
  extraRepr(): string {
    return `kernelSize=[${this.kernelSize.join(', ')}], stride=[${this.stride.join(', ')}], padding=[${this.padding.join(', ')}]`;
  }
}

/** Averages over adaptive windows so that the output is [N, C, ...outputSize] whatever H and W. */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];
  constructor(outputSize: Pair) {
    super();
    this.outputSize = pair(outputSize);
    checkPair('AdaptiveAvgPool2d', 'outputSize', this.outputSize, 1);
  }
  forward(input: Tensor): Tensor {
    return F.adaptiveAvgPool2d(input, this.outputSize);
  }
  extraRepr(): string {
    return `outputSize=[${this.outputSize.join(', ')}]`;
  }
}
