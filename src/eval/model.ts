// The network an evaluation measures: a finished run's trunk (pretext, cluster classification,
// supervised) or a freshly initialised zoo trunk ('random:ARCH', seeded), with its input
// preparation. Every split is prepared with the statistics the network was trained with; for
// 'random:ARCH', those of the training cache of the evaluation, never the evaluated split's own.
import type { Device, Tensor } from '../engine/index.js';
import { Normalize } from '../data/augment/normalize.js';
import type { ImageCache } from '../data/cache/index.js';
import { buildSeededTrunk, getArch, type Trunk } from '../models/index.js';
import { loadSourceModel } from '../artifacts/source_model.js';
import { inputRef, type InputRef } from '../artifacts/manifest.js';

export interface EvalModel {
  /** As given: a run folder or 'random:ARCH'. */
  spec: string;
  arch: string;
  trunk: Trunk;
  inChannels: number;
  /** Images on [0, 1] -> the trunk's input. */
  preprocess(images01: Tensor): Tensor;
  /** The model as an input of the evaluation artifact (a run's key; a random net has none). */
  input: InputRef;
  dispose(): void;
}

/**
 * Resolves `--model`; `train` is the evaluation's training cache (a random net's statistics). The
 * trunk is moved to `device` (the frozen passes move each batch to it).
 */
export function openEvalModel(spec: string, train: ImageCache, seed: number, device: Device = 'cpu'): EvalModel {
  if (spec.startsWith('random:')) {
    const arch = spec.slice('random:'.length);
    const info = getArch(arch);
    if (info.taps.length === 0) throw new Error(`--model ${spec}: arch '${arch}' has no named layers; use one of the zoo's trunk nets`);
    const trunk = buildSeededTrunk(arch, train.shape[0], seed).to(device).eval();
    const normalize = new Normalize(train.manifest.mean, train.manifest.std);
    return {
      spec, arch, trunk, inChannels: train.shape[0], preprocess: (x) => normalize.apply(x),
      input: { path: spec, key: null }, dispose: () => trunk.dispose(),
    };
  }
  const m = loadSourceModel(spec);
  if (m.inChannels !== train.shape[0]) {
    m.dispose();
    throw new Error(`--model ${spec}: the network takes ${m.inChannels}-channel images, --data ${train.dir} has ${train.shape[0]}`);
  }
  m.trunk.to(device);
  return {
    spec, arch: m.config.arch, trunk: m.trunk, inChannels: m.inChannels, preprocess: (x) => m.preprocess(x),
    input: inputRef(spec), dispose: () => m.dispose(),
  };
}
