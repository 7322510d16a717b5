// Modules as ONNX nodes, in eval mode: each layer of a network becomes the ONNX operator that
// computes the same thing (BatchNorm with its running statistics, Dropout dropped). Shapes are
// tracked without the batch dimension, so that adaptive pooling and the output are static.
// An unsupported module or setting is an error that names the layer (its state-dict path).
import { tidy, type Tensor } from '../engine/index.js';
import * as nn from '../nn/index.js';
import { BasicBlock, Trunk, ZooNet } from '../models/index.js';
import type { OnnxGraph, Value } from './graph.js';

/** An error about one layer of the network being exported. */
export class ExportError extends Error {}

const fail = (path: string, m: nn.Module, why: string): never => {
  throw new ExportError(`layer ${path || '(root)'} (${m.constructor.name}): ${why}`);
};

/** A tensor's values as float32, in PyTorch's (contiguous) order. */
export const floats = (t: Tensor): Float32Array => tidy(() => t.detach().float().contiguous().data() as Float32Array);

/** PyTorch's pooling/convolution output length, ceil mode included (a window must start inside the input or left padding). */
export function windowOut(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  if (span < 0) return 0;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/** ONNX's ceil-mode output length (opset 17): no rule about where the last window starts. */
const onnxCeilOut = (size: number, k: number, s: number, p: number, d: number) => Math.ceil((size + 2 * p - d * (k - 1) - 1) / s) + 1;

const path2 = (base: string, name: string) => (base === '' ? name : `${base}.${name}`);

/** Adds module m applied to x to the graph; returns its output. `path` is m's state-dict prefix. */
export function lower(g: OnnxGraph, m: nn.Module, x: Value, path: string): Value {
  // Containers whose forward runs their children in order.
  if (m instanceof nn.Sequential || m instanceof Trunk || m instanceof ZooNet) {
    for (const [name, child] of m.namedChildren()) x = lower(g, child, x, path2(path, name));
    return x;
  }
  if (m instanceof BasicBlock) return lowerBlock(g, m, x, path);
  if (m instanceof nn.Dropout || m instanceof nn.Identity) return x;
  if (m instanceof nn.ReLU) return { name: g.node('Relu', [x.name], path), shape: x.shape };
  if (m instanceof nn.LeakyReLU) return { name: g.node('LeakyRelu', [x.name], path, { alpha: { float: m.negativeSlope } }), shape: x.shape };
  if (m instanceof nn.Conv2d) return lowerConv(g, m, x, path);
  if (m instanceof nn.BatchNorm) return lowerBatchNorm(g, m, x, path);
  if (m instanceof nn.MaxPool2d || m instanceof nn.AvgPool2d) return lowerPool(g, m, x, path);
  if (m instanceof nn.AdaptiveAvgPool2d) return adaptiveAvgPool(g, x, m.outputSize, path, m);
  if (m instanceof nn.Flatten) {
    if (m.startDim !== 1 || (m.endDim !== -1 && m.endDim !== x.shape.length)) fail(path, m, `only Flatten(1, -1) is exported, got startDim ${m.startDim}, endDim ${m.endDim}`);
    return { name: g.node('Flatten', [x.name], path, { axis: 1 }), shape: [x.shape.reduce((a, b) => a * b, 1)] };
  }
  if (m instanceof nn.Linear) {
    if (x.shape.length !== 1 || x.shape[0] !== m.inFeatures) fail(path, m, `expects [batch, ${m.inFeatures}], gets [batch, ${x.shape.join(', ')}]`);
    const inputs = [x.name, g.weight(`${path}.weight`, floats(m.weight), [m.outFeatures, m.inFeatures])];
    if (m.bias) inputs.push(g.weight(`${path}.bias`, floats(m.bias), [m.outFeatures]));
    return { name: g.node('Gemm', inputs, path, { transB: 1 }), shape: [m.outFeatures] };
  }
  if (m instanceof nn.LocalResponseNorm) {
    // ONNX sums over channels c - (size-1)/2 .. c + size/2 (rounded); PyTorch the other way round for even sizes.
    if (m.size % 2 === 0) fail(path, m, `an even size (${m.size}) windows the channels differently in ONNX; only odd sizes are exported`);
    const attrs = { size: m.size, alpha: { float: m.alpha }, beta: { float: m.beta }, bias: { float: m.k } };
    return { name: g.node('LRN', [x.name], path, attrs), shape: x.shape };
  }
  return fail(path, m, 'has no ONNX mapping');
}

function spatial(path: string, m: nn.Module, x: Value): [number, number, number] {
  if (x.shape.length !== 3) fail(path, m, `expects [batch, C, H, W], gets [batch, ${x.shape.join(', ')}]`);
  return x.shape as [number, number, number];
}

function lowerConv(g: OnnxGraph, m: nn.Conv2d, x: Value, path: string): Value {
  const [c, h, w] = spatial(path, m, x);
  if (c !== m.inChannels) fail(path, m, `expects ${m.inChannels} channels, gets ${c}`);
  const [kh, kw] = m.kernelSize, [sh, sw] = m.stride, [dh, dw] = m.dilation;
  // 'same': PyTorch pads total d(k-1), the smaller half first.
  const [pt, pl, pb, pr] = m.padding === 'same'
    ? [Math.floor((dh * (kh - 1)) / 2), Math.floor((dw * (kw - 1)) / 2), Math.ceil((dh * (kh - 1)) / 2), Math.ceil((dw * (kw - 1)) / 2)]
    : [m.padding[0], m.padding[1], m.padding[0], m.padding[1]];
  const inputs = [x.name, g.weight(`${path}.weight`, floats(m.weight), [...m.weight.shape])];
  if (m.bias) inputs.push(g.weight(`${path}.bias`, floats(m.bias), [m.outChannels]));
  const attrs = { kernel_shape: [kh, kw], strides: [sh, sw], pads: [pt, pl, pb, pr], dilations: [dh, dw], group: m.groups };
  const out = (size: number, k: number, s: number, p: number, d: number) => Math.floor((size + p - d * (k - 1) - 1) / s) + 1;
  return { name: g.node('Conv', inputs, path, attrs), shape: [m.outChannels, out(h, kh, sh, pt + pb, dh), out(w, kw, sw, pl + pr, dw)] };
}

function lowerBatchNorm(g: OnnxGraph, m: nn.BatchNorm, x: Value, path: string): Value {
  if (x.shape[0] !== m.numFeatures) fail(path, m, `expects ${m.numFeatures} channels, gets [batch, ${x.shape.join(', ')}]`);
  if (!m.runningMean || !m.runningVar) fail(path, m, 'has no running statistics (it normalises with batch statistics even in eval mode)');
  const n = m.numFeatures;
  const scale = m.weight ? floats(m.weight) : new Float32Array(n).fill(1);
  const bias = m.bias ? floats(m.bias) : new Float32Array(n);
  const inputs = [
    x.name,
    g.weight(`${path}.weight`, scale, [n]),
    g.weight(`${path}.bias`, bias, [n]),
    g.weight(`${path}.running_mean`, floats(m.runningMean!), [n]),
    g.weight(`${path}.running_var`, floats(m.runningVar!), [n]),
  ];
  return { name: g.node('BatchNormalization', inputs, path, { epsilon: { float: m.eps } }), shape: x.shape };
}

function lowerPool(g: OnnxGraph, m: nn.MaxPool2d | nn.AvgPool2d, x: Value, path: string): Value {
  const [c, h, w] = spatial(path, m, x);
  const [kh, kw] = m.kernelSize, [sh, sw] = m.stride, [ph, pw] = m.padding;
  const [dh, dw] = m instanceof nn.MaxPool2d ? m.dilation : [1, 1];
  const oh = windowOut(h, kh, sh, ph, dh, m.ceilMode), ow = windowOut(w, kw, sw, pw, dw, m.ceilMode);
  if (oh < 1 || ow < 1) fail(path, m, `a ${h}x${w} input is smaller than the ${kh}x${kw} window`);
  if (m.ceilMode && (oh !== onnxCeilOut(h, kh, sh, ph, dh) || ow !== onnxCeilOut(w, kw, sw, pw, dw))) {
    fail(path, m, `in ceil mode on a ${h}x${w} input its last window would start in the padding, which PyTorch drops and ONNX keeps`);
  }
  const attrs: Record<string, number | number[]> = { kernel_shape: [kh, kw], strides: [sh, sw], pads: [ph, pw, ph, pw], ceil_mode: m.ceilMode ? 1 : 0 };
  if (m instanceof nn.MaxPool2d) attrs.dilations = [dh, dw];
  else attrs.count_include_pad = m.countIncludePad ? 1 : 0;
  return { name: g.node(m instanceof nn.MaxPool2d ? 'MaxPool' : 'AveragePool', [x.name], path, attrs), shape: [c, oh, ow] };
}

/**
 * Adaptive average pooling to [oh, ow] where each output size divides the input's: windows of
 * input/output, non-overlapping (AveragePool), or GlobalAveragePool for 1x1.
 */
export function adaptiveAvgPool(g: OnnxGraph, x: Value, [oh, ow]: readonly number[], path: string, m: nn.Module): Value {
  const [c, h, w] = spatial(path, m, x);
  if (oh === h && ow === w) return x;
  if (oh === 1 && ow === 1) return { name: g.node('GlobalAveragePool', [x.name], path), shape: [c, 1, 1] };
  if (h % oh! || w % ow!) fail(path, m, `pooling a ${h}x${w} map to ${oh}x${ow} needs windows of unequal sizes; only grids that divide the map are exported`);
  const k = [h / oh!, w / ow!];
  return { name: g.node('AveragePool', [x.name], path, { kernel_shape: k, strides: k }), shape: [c, oh!, ow!] };
}

/** ResNet's BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)). */
function lowerBlock(g: OnnxGraph, m: BasicBlock, x: Value, path: string): Value {
  const sub = (n: string) => m.getModule(n)!;
  let y = lower(g, sub('conv1'), x, path2(path, 'conv1'));
  y = lower(g, sub('bn1'), y, path2(path, 'bn1'));
  y = { name: g.node('Relu', [y.name], path2(path, 'relu1')), shape: y.shape };
  y = lower(g, sub('bn2'), lower(g, sub('conv2'), y, path2(path, 'conv2')), path2(path, 'bn2'));
  const down = m.getModule('downsample');
  const short = down === null ? x : lower(g, down, x, path2(path, 'downsample'));
  if (short.shape.join() !== y.shape.join()) fail(path, m, `the shortcut [${short.shape.join(', ')}] and the residual [${y.shape.join(', ')}] differ`);
  const sum = g.node('Add', [y.name, short.name], path2(path, 'add'));
  return { name: g.node('Relu', [sum], path2(path, 'relu')), shape: y.shape };
}
