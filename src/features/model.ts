// A trained trunk as a feature source ('model:RUN[@LAYER]'): a finished run's trunk, its input
// prepared as in its training (loadSourceModel knows how), default its last conv layer.
import { loadSourceModel } from '../artifacts/source_model.js';
import { networkSource, splitLayer } from './network.js';
import { type FeatureSource, type SourceOptions, parsePool } from './source.js';

export function modelSource(spec: string, arg: string, o: SourceOptions): FeatureSource {
  const [run, layer] = splitLayer(arg);
  if (run === '') throw new Error(`${spec}: name a run folder, e.g. model:runs/jigsaw@conv4`);
  const pool = parsePool(o.pool);
  const m = loadSourceModel(run);
  try {
    const taps = m.trunk.tapNames;
    const tap = layer ?? taps[taps.length - 1]!;
    if (!taps.includes(tap)) throw new Error(`${spec}: unknown layer '${layer}'; the run's ${m.config.arch} has ${taps.join(', ')}`);
    if (o.inChannels !== undefined && o.inChannels !== m.inChannels) {
      throw new Error(`${spec}: the run's network takes ${m.inChannels}-channel images, the data has ${o.inChannels} channels`);
    }
    return networkSource({ name: spec, trunk: m.trunk, tap, inChannels: m.inChannels, preprocess: (x) => m.preprocess(x), pool, device: o.device, precision: o.precision, dispose: () => m.dispose() });
  } catch (e) {
    m.dispose();
    throw e;
  }
}
