// What export reads from a finished run (pretext, cluster classification, supervised): the whole
// network of RUN/model.safetensors (a zoo net: trunk and classifier head) or its trunk, the input
// normalisation it was trained with, and the run's content key.
import { join, resolve } from 'node:path';
import type { Tensor } from '../engine/index.js';
import { loadSafetensors } from '../io/index.js';
import { buildZooNet, type ZooNet } from '../models/index.js';
import { MODEL_FILE, RUN_FORMATS, TRUNK_FILE, loadSourceModel, type SourceModel, type TrunkRunConfig } from '../artifacts/index.js';
import { ExportError } from './lower.js';
import type { InputNormalization } from './onnx.js';

export const normalizationOf = (c: TrunkRunConfig): InputNormalization =>
  c.input === 'dataset' ? { kind: 'dataset', mean: c.data.mean, std: c.data.std } : { kind: 'per-image' };

/** The run's trunk (trunk.safetensors) in eval mode, with its config and key (loadSourceModel). */
export const loadRunTrunk = (runDir: string): SourceModel => loadSourceModel(runDir);

/** A run's saved tensors; dispose them. */
export function runTensors(runDir: string, file: typeof MODEL_FILE | typeof TRUNK_FILE): Map<string, Tensor> {
  return loadSafetensors(join(resolve(runDir), file)).tensors;
}

/** Classes of a zoo net's state dict: the rows of its head's last fully connected layer. */
function classesOf(path: string, sd: Map<string, Tensor>): number {
  const other = [...sd.keys()].filter((k) => !k.startsWith('trunk.') && !k.startsWith('head.'));
  if (other.length > 0) {
    throw new ExportError(`${path} is not a zoo network with a classifier (it has ${other[0]}; a jigsaw run's network takes 9 tiles); export an embedding of its trunk with a layer`);
  }
  const fc = [...sd.entries()].filter(([k, t]) => /^head\.\d+\.weight$/.test(k) && t.ndim === 2);
  if (fc.length === 0) throw new ExportError(`${path}: no fully connected layer in its head`);
  const index = (k: string) => Number(k.split('.')[1]);
  return fc.reduce((a, b) => (index(b[0]) > index(a[0]) ? b : a))[1].shape[0]!;
}

/** The run's whole network (model.safetensors) in eval mode, with the run's config and key. */
export function loadRunNetwork(runDir: string): { net: ZooNet; config: TrunkRunConfig; key: string | null } {
  const src = loadSourceModel(runDir); // checks the folder, its format and that the run finished
  const { config, key } = src;
  src.dispose();
  const path = join(resolve(runDir), MODEL_FILE);
  const sd = runTensors(runDir, MODEL_FILE);
  try {
    const net = buildZooNet(config.arch, classesOf(path, sd), config.data.shape[0]);
    try {
      net.loadStateDict(sd);
    } catch (e) {
      net.dispose();
      throw new Error(`${path}: ${(e as Error).message}`);
    }
    return { net: net.eval(), config, key };
  } finally {
    for (const t of sd.values()) t.dispose();
  }
}

export { RUN_FORMATS };
