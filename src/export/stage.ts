// The export stages: a finished run as an ONNX model (its logits, or an embedding at a tap) and
// as safetensors under PyTorch's key names. Each file is written under a temporary name and
// renamed when complete; a bad option fails before anything is written.
import { resolve } from 'node:path';
import { tidy, type Tensor } from '../engine/index.js';
import { saveSafetensors, writeFileAtomic } from '../io/index.js';
import { MODEL_FILE, TRUNK_FILE } from '../artifacts/index.js';
import { parsePool } from '../features/source.js';
import { parseOptions } from '../util/options.js';
import { ExportError } from './lower.js';
import { onnxModel, type OnnxModel } from './onnx.js';
import { pytorchKey } from './pytorch_keys.js';
import { loadRunNetwork, loadRunTrunk, normalizationOf, runTensors } from './run.js';
import { onnxExportSchema, safetensorsExportSchema, type OnnxExportOptions, type SafetensorsExportOptions } from './schema.js';

export function exportOnnx(options: OnnxExportOptions): OnnxModel & { out: string } {
  const o = parseOptions(onnxExportSchema, options);
  const out = resolve(o.out);
  const pool = parsePool(o.pool);
  if (o.layer === undefined && pool !== null) throw new ExportError(`--pool ${o.pool} applies to an embedding model; name a layer with --layer`);
  const run = o.layer === undefined ? loadRunNetwork(o.model) : (() => {
    const s = loadRunTrunk(o.model);
    return { net: s.trunk, config: s.config, key: s.key };
  })();
  try {
    const { config } = run;
    const model = onnxModel(run.net, {
      arch: config.arch, inputShape: config.data.shape, normalization: normalizationOf(config), tap: o.layer ?? null, pool, opset: o.opset,
      metadata: { run_format: config.format, run_key: run.key ?? 'none (written before manifests)' },
    });
    writeFileAtomic(out, model.bytes);
    return { ...model, out };
  } finally {
    run.net.dispose();
  }
}

export function exportSafetensors(options: SafetensorsExportOptions): { out: string; keys: string[] } {
  const o = parseOptions(safetensorsExportSchema, options);
  const out = resolve(o.out);
  const { config, key } = (() => {
    const s = loadRunTrunk(o.model); // checks the run folder and that it finished
    s.dispose();
    return s;
  })();
  const sd = runTensors(o.model, o.trunk ? TRUNK_FILE : MODEL_FILE);
  try {
    if (!o.trunk && [...sd.keys()].some((k) => !k.startsWith('trunk.') && !k.startsWith('head.'))) {
      throw new ExportError(`${o.model}/${MODEL_FILE} is not a zoo network with a classifier (a jigsaw run's network takes 9 tiles); export its trunk with --trunk`);
    }
    const renamed = new Map<string, Tensor>();
    for (const [k, t] of sd) renamed.set(pytorchKey(config.arch, o.trunk ? `trunk.${k}` : k), t);
    tidy(() => saveSafetensors(out, renamed, { format: 'pt', arch: config.arch, part: o.trunk ? 'trunk' : 'network', run_key: key ?? 'none' }));
    return { out, keys: [...renamed.keys()] };
  } finally {
    for (const t of sd.values()) t.dispose();
  }
}
