// `selfsup export onnx` (a run's network or an embedding at a tap, as an ONNX model) and
// `selfsup export safetensors` (its weights under PyTorch's key names).
import { Command } from 'commander';
import { exportOnnx, exportSafetensors, onnxExportSchema, safetensorsExportSchema } from '../export/index.js';
import { stageCommand } from './schema_options.js';

export function exportCommand(): Command {
  const cmd = new Command('export').description("a finished run's network for other tools: an ONNX model (`export onnx`) or safetensors with PyTorch's key names (`export safetensors`)");
  cmd.addCommand(stageCommand('onnx', 'an ONNX model of the run: its logits, or with --layer an embedding (tap, pooled and flattened as selfsup features); input images [batch, C, H, W] on [0, 1], normalised inside', onnxExportSchema, (o) => {
    const m = exportOnnx(o);
    console.log(`onnx     ${m.metadata.arch} ${m.metadata.output}${m.metadata.output === 'embedding' ? ` ${m.metadata.tap} (pool ${m.metadata.pool})` : ''}: [batch, ${JSON.parse(m.metadata.input_shape!).join(', ')}] -> [batch, ${m.outputShape.join(', ')}], opset ${m.metadata.opset}`);
    console.log(`written  ${m.out} (${(m.bytes.length / 1e6).toFixed(1)} MB)`);
  }));
  cmd.addCommand(stageCommand('safetensors', "the run's weights under the key names of the matching PyTorch module (docs/export.md)", safetensorsExportSchema, (o) => {
    const r = exportSafetensors(o);
    console.log(`written  ${r.out} (${r.keys.length} tensors: ${r.keys.slice(0, 3).join(', ')}, ...)`);
  }));
  return cmd;
}
