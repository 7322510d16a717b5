// The options of `selfsup export onnx` and `selfsup export safetensors`.
import { z } from 'zod';
import { field } from '../util/options.js';
import { OPSETS } from './onnx.js';

const model = field(z.string(), { description: 'a finished run folder (pretext, transfer or supervised)', role: 'input', arg: 'run' });

export const onnxExportSchema = z.strictObject({
  model,
  layer: field(z.string().optional(), { description: "an embedding model: the trunk up to this tap (e.g. conv5) instead of the network's logits", defaultText: 'the logits', arg: 'tap' }),
  pool: field(z.string().default('none'), { description: "embedding: average-pool the tap to 'global' (1x1), a grid HxW that divides its map, or 'none' (as selfsup features)", arg: 'grid' }),
  opset: field(z.int().min(OPSETS.min).max(OPSETS.max).default(OPSETS.max), { description: 'ONNX opset version', arg: 'n' }),
  out: field(z.string().regex(/\.onnx$/, 'expected a file name ending in .onnx'), { description: 'the ONNX model file (written when complete)', role: 'output', arg: 'model.onnx' }),
});

export const safetensorsExportSchema = z.strictObject({
  model,
  trunk: field(z.boolean().default(false), { description: 'only the trunk (trunk.safetensors; a jigsaw run has no other PyTorch counterpart)' }),
  out: field(z.string().regex(/\.safetensors$/, 'expected a file name ending in .safetensors'), { description: "the weights under PyTorch's key names (written when complete)", role: 'output', arg: 'file' }),
});

export type OnnxExportOptions = z.input<typeof onnxExportSchema>;
export type SafetensorsExportOptions = z.input<typeof safetensorsExportSchema>;
