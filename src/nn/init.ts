// Weight initialisation, as torch.nn.init (PyTorch 1.13 formulas). Every function fills
// its tensor in place without recording gradients and returns it.
import { type Tensor, noGrad } from '../engine/index.js';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';
export type FanMode = 'fanIn' | 'fanOut';

/**
 * The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh,
 * sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope `param`, default 0.01), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new RangeError(`calculateGain: negative slope ${slope} is not a finite number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/**
 * fanIn = shape[1] * receptive field, fanOut = shape[0] * receptive field, where the
 * receptive field is the product of shape[2:] (weights are [out, in, ...kernel]).
 */
export function computeFans(t: Tensor): { fanIn: number; fanOut: number } {
  const s = t.shape;
  if (s.length < 2) throw new Error(`computeFans: fan in and fan out need a tensor with at least 2 dims, got [${s.join(', ')}]`);
  const rf = s.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: s[1]! * rf, fanOut: s[0]! * rf };
}

/** Fan-based initialisers leave empty tensors as they are (as PyTorch, which warns). */
const isEmpty = (t: Tensor): boolean => t.numel() === 0;

function fanOf(t: Tensor, mode: FanMode): number {
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new Error(`init: mode must be 'fanIn' or 'fanOut', got '${String(mode)}'`);
  const fans = computeFans(t);
  return mode === 'fanIn' ? fans.fanIn : fans.fanOut;
}

export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  return noGrad(() => t.uniform_(a, b));
}
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  return noGrad(() => t.normal_(mean, std));
}
export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => t.fill_(value));
}
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

export interface KaimingOptions {
  /** Negative slope of the leaky_relu that follows (0 = relu). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/** He et al. 2015: uniform on ±gain * sqrt(3 / fan). Defaults a=0, fanIn, leaky_relu. */
export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  if (isEmpty(t)) return t;
  const fan = fanOf(t, o.mode ?? 'fanIn');
  const std = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound);
}

/** He et al. 2015: normal with std gain / sqrt(fan). Defaults a=0, fanIn, leaky_relu. */
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  if (isEmpty(t)) return t;
  const fan = fanOf(t, o.mode ?? 'fanIn');
  const std = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
  return normal_(t, 0, std);
}

/** Glorot & Bengio 2010: uniform on ±gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  if (isEmpty(t)) return t;
  const { fanIn, fanOut } = computeFans(t);
  const bound = Math.sqrt(3) * gain * Math.sqrt(2 / (fanIn + fanOut));
  return uniform_(t, -bound, bound);
}

/** Glorot & Bengio 2010: normal with std gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  if (isEmpty(t)) return t;
  const { fanIn, fanOut } = computeFans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/**
 * PyTorch's default for Linear and Conv2d: weight kaiming-uniform with a=sqrt(5) (so
 * ±1/sqrt(fanIn)), bias uniform ±1/sqrt(fanIn).
 */
export function resetWeightAndBias_(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias !== null) {
    const { fanIn } = computeFans(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}
