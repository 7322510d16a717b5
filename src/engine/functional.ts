// Neural-network functions, as torch.nn.functional (import as F).
import { N } from './native.js';
import { Tensor } from './tensor.js';
import { isFloating } from './dtype.js';
import type { ReductionCode } from './native_api.js';

export type Reduction = 'none' | 'mean' | 'sum';
const REDUCTION: Record<Reduction, ReductionCode> = { none: 0, mean: 1, sum: 2 };
function reduction(r: Reduction, op: string): ReductionCode {
  const c = REDUCTION[r];
  if (c === undefined) throw new TypeError(`${op}: reduction must be 'none', 'mean' or 'sum', got '${r}'`);
  return c;
}

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);
const opt = (t: Tensor | null | undefined) => (t ? t.handle : null);

export interface Conv2dOptions {
  stride?: Pair;
  /** A number, a pair, or 'same' (odd kernels, stride 1). */
  padding?: Pair | 'same';
  dilation?: Pair;
  groups?: number;
}

/** input [N, Cin, H, W], weight [Cout, Cin/groups, kH, kW], bias [Cout] | null. */
export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, o: Conv2dOptions = {}): Tensor {
  const dilation = pair(o.dilation ?? 1);
  let padding: [number, number];
  if (o.padding === 'same') {
    const [kh, kw] = weight.shape.slice(2) as [number, number];
    const ph = dilation[0] * (kh - 1), pw = dilation[1] * (kw - 1);
    if (ph % 2 || pw % 2) throw new Error(`conv2d padding 'same' needs odd kernels here, got ${kh}x${kw}`);
    padding = [ph / 2, pw / 2];
  } else padding = pair(o.padding ?? 0);
  return new Tensor(N.conv2d(input.handle, weight.handle, opt(bias), pair(o.stride ?? 1), padding, dilation, o.groups ?? 1));
}

/** input [..., in], weight [out, in], bias [out] | null. */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return new Tensor(N.linear(input.handle, weight.handle, opt(bias)));
}

export interface Pool2dOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}

export function maxPool2d(input: Tensor, kernelSize: Pair, o: Pool2dOptions & { dilation?: Pair } = {}): Tensor {
  const k = pair(kernelSize);
  return new Tensor(N.maxPool2d(input.handle, k, pair(o.stride ?? k), pair(o.padding ?? 0), pair(o.dilation ?? 1), o.ceilMode ?? false));
}

export function avgPool2d(input: Tensor, kernelSize: Pair, o: Pool2dOptions & { countIncludePad?: boolean } = {}): Tensor {
  const k = pair(kernelSize);
  return new Tensor(N.avgPool2d(input.handle, k, pair(o.stride ?? k), pair(o.padding ?? 0), o.ceilMode ?? false, o.countIncludePad ?? true));
}

export const adaptiveAvgPool2d = (input: Tensor, outputSize: Pair): Tensor =>
  new Tensor(N.adaptiveAvgPool2d(input.handle, pair(outputSize)));
export const adaptiveMaxPool2d = (input: Tensor, outputSize: Pair): Tensor =>
  new Tensor(N.adaptiveMaxPool2d(input.handle, pair(outputSize)));

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over dim 1. In training mode batch statistics are used and the
 * running statistics (when given) are updated in place with `momentum`.
 */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, o: BatchNormOptions = {}): Tensor {
  return new Tensor(
    N.batchNorm(input.handle, opt(o.weight), opt(o.bias), opt(runningMean), opt(runningVar), o.training ?? false, o.momentum ?? 0.1, o.eps ?? 1e-5),
  );
}

export function layerNorm(input: Tensor, normalizedShape: number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  return new Tensor(N.layerNorm(input.handle, normalizedShape, opt(weight), opt(bias), eps));
}

export const dropout = (input: Tensor, p = 0.5, training = true): Tensor => {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability must be in [0, 1], got ${p}`);
  return new Tensor(N.dropout(input.handle, p, training));
};
export const relu = (input: Tensor): Tensor => new Tensor(N.relu(input.handle));
export const leakyRelu = (input: Tensor, negativeSlope = 0.01): Tensor => new Tensor(N.leakyRelu(input.handle, negativeSlope));
export const gelu = (input: Tensor): Tensor => new Tensor(N.gelu(input.handle));
export const sigmoid = (input: Tensor): Tensor => input.sigmoid();
export const softmax = (input: Tensor, dim: number): Tensor => new Tensor(N.softmax(input.handle, dim));
export const logSoftmax = (input: Tensor, dim: number): Tensor => new Tensor(N.logSoftmax(input.handle, dim));

/**
 * Local response normalisation across channels (AlexNet, Krizhevsky et al. 2012):
 * b_c = a_c / (k + alpha/n * sum over the n channels around c of a^2)^beta.
 */
export function localResponseNorm(input: Tensor, size: number, alpha = 1e-4, beta = 0.75, k = 1): Tensor {
  if (input.ndim !== 4) throw new Error(`localResponseNorm expects [N, C, H, W], got [${input.shape.join(', ')}]`);
  const [n, c, hh, w] = input.shape as [number, number, number, number];
  // Average of squares over a window of `size` channels, zero-padded as PyTorch does.
  const sq = input.square().reshape(n, 1, c, hh * w);
  const padded = new Tensor(N.pad(sq.handle, [0, 0, Math.floor(size / 2), Math.floor((size - 1) / 2)], 'constant', 0));
  const avg = new Tensor(N.avgPool2d(padded.handle, [size, 1], [1, 1], [0, 0], false, true)).reshape(n, c, hh, w);
  return input.div(avg.mul(alpha).add(k).pow(beta));
}

export interface CrossEntropyOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

const shapeStr = (s: number[]) => `[${s.join(', ')}]`;

/** logits [N, C, ...]; target class indices int64 [N, ...] or class probabilities [N, C, ...]. */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  const ls = o.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls <= 1)) throw new RangeError(`labelSmoothing must be in [0, 1], got ${ls}`);
  // Targets are int64 class indices (logits' shape without the class dim) or probabilities (logits' shape).
  const ls_ = logits.shape, ts = target.shape, td = target.dtype;
  const indexShape = ls_.filter((_, i) => i !== (ls_.length === 1 ? 0 : 1));
  const fits = isFloating(td) ? shapeStr(ts) === shapeStr(ls_) : td === 'int64' && shapeStr(ts) === shapeStr(indexShape);
  if (!fits) {
    throw new Error(
      `crossEntropy: target ${shapeStr(ts)} ${td} does not fit logits ${shapeStr(ls_)}: expected int64 class indices ` +
        `of shape ${shapeStr(indexShape)} or floating-point class probabilities of shape ${shapeStr(ls_)}`,
    );
  }
  return new Tensor(N.crossEntropy(logits.handle, target.handle, opt(o.weight), reduction(o.reduction ?? 'mean', 'crossEntropy'), o.ignoreIndex ?? -100, ls));
}

export function nllLoss(logProbs: Tensor, target: Tensor, o: Omit<CrossEntropyOptions, 'labelSmoothing'> = {}): Tensor {
  return new Tensor(N.nllLoss(logProbs.handle, target.handle, opt(o.weight), reduction(o.reduction ?? 'mean', 'nllLoss'), o.ignoreIndex ?? -100));
}

export const mseLoss = (input: Tensor, target: Tensor, r: Reduction = 'mean'): Tensor =>
  new Tensor(N.mseLoss(input.handle, target.handle, reduction(r, 'mseLoss')));

export const binaryCrossEntropyWithLogits = (input: Tensor, target: Tensor, r: Reduction = 'mean'): Tensor =>
  new Tensor(N.binaryCrossEntropyWithLogits(input.handle, target.handle, null, null, reduction(r, 'binaryCrossEntropyWithLogits')));

/** One-hot int64 [..., numClasses] from int64 class indices. */
export const oneHot = (labels: Tensor, numClasses = -1): Tensor => new Tensor(N.oneHot(labels.handle, numClasses));

/** Pads the last dims: pads = [left, right, top, bottom, ...] as torch.nn.functional.pad. */
export function pad(input: Tensor, pads: number[], mode: 'constant' | 'reflect' | 'replicate' | 'circular' = 'constant', value = 0): Tensor {
  return new Tensor(N.pad(input.handle, pads, mode, value));
}

/** Resizes [N, C, H, W] to size [h, w]. */
export function interpolate(input: Tensor, size: [number, number], mode: 'bilinear' | 'nearest' = 'nearest', alignCorners = false): Tensor {
  return new Tensor(N.interpolate(input.handle, size, mode, alignCorners));
}

/** Sampling grid [N, H, W, 2] for affine maps theta [N, 2, 3] and output size [N, C, H, W]. */
export const affineGrid = (theta: Tensor, size: number[], alignCorners = false): Tensor =>
  new Tensor(N.affineGrid(theta.handle, size, alignCorners));

const GRID_MODE = { bilinear: 0, nearest: 1, bicubic: 2 } as const;
const GRID_PADDING = { zeros: 0, border: 1, reflection: 2 } as const;

/** Samples input [N, C, H, W] at grid [N, h, w, 2] (x, y in [-1, 1]). */
export function gridSample(
  input: Tensor,
  grid: Tensor,
  o: { mode?: keyof typeof GRID_MODE; paddingMode?: keyof typeof GRID_PADDING; alignCorners?: boolean } = {},
): Tensor {
  const mode = GRID_MODE[o.mode ?? 'bilinear'], padding = GRID_PADDING[o.paddingMode ?? 'zeros'];
  if (mode === undefined) throw new TypeError(`gridSample mode must be 'bilinear', 'nearest' or 'bicubic', got '${o.mode}'`);
  if (padding === undefined) throw new TypeError(`gridSample paddingMode must be 'zeros', 'border' or 'reflection', got '${o.paddingMode}'`);
  return new Tensor(N.gridSample(input.handle, grid.handle, mode, padding, o.alignCorners ?? false));
}
