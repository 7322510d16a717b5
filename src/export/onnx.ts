// A network as an ONNX model: images on [0, 1] in, the input normalisation as the network was
// trained with it, then either the whole network (its logits) or its trunk up to a tap, pooled
// and flattened as `selfsup features` does (an embedding). The batch dimension is dynamic.
import type * as nn from '../nn/index.js';
import { MIN_SAMPLE_STD } from '../data/augment/normalize.js';
import { Trunk, ZooNet } from '../models/index.js';
import type { Pool } from '../features/source.js';
import { OnnxGraph, type Value } from './graph.js';
import { ExportError, adaptiveAvgPool, lower } from './lower.js';

/** The opsets written: 13 (the oldest with today's Split/Squeeze forms) to 17 (ONNX 1.12, IR 8). */
export const OPSETS = { min: 13, max: 17 } as const;

/** 'dataset': (x - mean[c]) / std[c]; 'per-image': zero mean, unit std over each image (std floored). */
export type InputNormalization = { kind: 'dataset'; mean: readonly number[]; std: readonly number[] } | { kind: 'per-image' };

export interface OnnxSpec {
  arch: string;
  /** [C, H, W] of the images the model takes. */
  inputShape: readonly [number, number, number];
  normalization: InputNormalization;
  /** A trunk tap for an embedding model; null for the network's own output (logits). */
  tap: string | null;
  /** Pooling of the tap (null: flattened as it is). */
  pool: Pool;
  opset?: number;
  /** More metadata_props (e.g. the run's content key). */
  metadata?: Record<string, string>;
}

export interface OnnxModel {
  bytes: Uint8Array;
  /** The output's shape after the batch dimension. */
  outputShape: number[];
  metadata: Record<string, string>;
}

export const poolName = (pool: Pool): string => (pool === null ? 'none' : pool[0] === 1 && pool[1] === 1 ? 'global' : `${pool[0]}x${pool[1]}`);

/** The ONNX model of `net` (in eval mode: BatchNorm's running statistics, no dropout). */
export function onnxModel(net: nn.Module, spec: OnnxSpec): OnnxModel {
  const opset = spec.opset ?? OPSETS.max;
  if (!Number.isInteger(opset) || opset < OPSETS.min || opset > OPSETS.max) throw new ExportError(`opset ${opset} is not written; use ${OPSETS.min}..${OPSETS.max}`);
  const g = new OnnxGraph();
  const input: Value = { name: g.name('images'), shape: [...spec.inputShape] };
  let x = normalize(g, input, spec.normalization);
  if (spec.tap === null) {
    if (spec.pool !== null) throw new ExportError('pooling applies to an embedding model; name a layer (tap) to pool');
    if (net instanceof Trunk) throw new ExportError(`a ${spec.arch} trunk alone has no logits; name a layer (${net.tapNames.join(', ')})`);
    x = lower(g, net, x, '');
  } else {
    const trunk = net instanceof ZooNet ? net.trunk : net instanceof Trunk ? net : null;
    if (trunk === null) throw new ExportError(`${spec.arch} has no named layers; export its logits (no layer)`);
    if (!trunk.tapNames.includes(spec.tap)) throw new ExportError(`${spec.arch} has no layer '${spec.tap}'; its layers are ${trunk.tapNames.join(', ')}`);
    const last = trunk.tapLayer(spec.tap);
    const prefix = net instanceof ZooNet ? 'trunk.' : '';
    for (const [name, child] of trunk.namedChildren()) {
      x = lower(g, child, x, prefix + name);
      if (name === last) break;
    }
    if (spec.pool !== null) x = adaptiveAvgPool(g, x, spec.pool, `pool ${poolName(spec.pool)} of ${spec.tap}`, trunk);
    x = { name: g.node('Flatten', [x.name], 'flatten', { axis: 1 }), shape: [x.shape.reduce((a, b) => a * b, 1)] };
  }
  // The output's fixed name.
  const output: Value = { name: g.node('Identity', [x.name], spec.tap === null ? 'logits' : 'embedding'), shape: x.shape };
  const metadata = describe(spec, opset, output.shape);
  const docString = spec.tap === null
    ? `${spec.arch} logits for images [batch, ${spec.inputShape.join(', ')}] on [0, 1]`
    : `${spec.arch} ${spec.tap} embedding (pool ${poolName(spec.pool)}) for images [batch, ${spec.inputShape.join(', ')}] on [0, 1]`;
  return { bytes: g.encode({ input, output, opset, docString, metadata }), outputShape: output.shape, metadata };
}

/** The input normalisation as nodes; x: images [batch, C, H, W] on [0, 1]. */
function normalize(g: OnnxGraph, x: Value, n: InputNormalization): Value {
  if (n.kind === 'dataset') {
    const k = n.mean.length;
    if (k !== 1 && k !== x.shape[0]) throw new ExportError(`${k} mean/std values for ${x.shape[0]}-channel images`);
    const mean = g.weight('input_mean', Float32Array.from(n.mean), [1, k, 1, 1]);
    const std = g.weight('input_std', Float32Array.from(n.std), [1, k, 1, 1]);
    return { name: g.node('Div', [g.node('Sub', [x.name, mean], 'centred'), std], 'normalized'), shape: x.shape };
  }
  // As standardizePerImage: (x - mean) / max(std, MIN_SAMPLE_STD), over each image's C*H*W values.
  const axes = [1, 2, 3];
  const centred = g.node('Sub', [x.name, g.node('ReduceMean', [x.name], 'image_mean', { axes, keepdims: 1 })], 'centred');
  const variance = g.node('ReduceMean', [g.node('Mul', [centred, centred], 'squared')], 'image_var', { axes, keepdims: 1 });
  const floor = g.weight('min_std', Float32Array.of(MIN_SAMPLE_STD), [1]);
  const std = g.node('Max', [g.node('Sqrt', [variance], 'image_std'), floor], 'image_std_floored');
  return { name: g.node('Div', [centred, std], 'normalized'), shape: x.shape };
}

/** The model's metadata_props: what it computes and from what. */
function describe(spec: OnnxSpec, opset: number, outputShape: number[]): Record<string, string> {
  const n = spec.normalization;
  return {
    arch: spec.arch,
    output: spec.tap === null ? 'logits' : 'embedding',
    tap: spec.tap ?? 'logits',
    pool: poolName(spec.pool),
    input: 'images float32 [batch, C, H, W] on [0, 1]',
    input_shape: JSON.stringify(spec.inputShape),
    output_shape: JSON.stringify(outputShape),
    normalization: n.kind,
    ...(n.kind === 'dataset' ? { mean: JSON.stringify(n.mean), std: JSON.stringify(n.std) } : { min_std: String(MIN_SAMPLE_STD) }),
    opset: String(opset),
    ...spec.metadata,
  };
}
