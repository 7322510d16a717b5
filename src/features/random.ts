// A freshly initialised zoo network as a feature source ('random:ARCH[@LAYER]'), the paper's
// baseline that any learned representation must beat. Weights come from the architecture's own
// initialisation, seeded (the global random stream is restored afterwards); input is normalised
// with the data's per-channel mean and std.
import { Normalize } from '../data/augment/normalize.js';
import { buildSeededTrunk, getArch } from '../models/index.js';
import { networkSource, splitLayer } from './network.js';
import { type FeatureSource, type SourceOptions, parsePool } from './source.js';

export function randomSource(spec: string, arg: string, o: SourceOptions): FeatureSource {
  const [arch, layer] = splitLayer(arg);
  if (arch === '') throw new Error(`${spec}: name an architecture, e.g. random:alexnet_s@conv5`);
  const info = getArch(arch);
  if (info.taps.length === 0) throw new Error(`${spec}: arch '${arch}' has no named layers; use one of the zoo's trunk/head nets`);
  const tap = layer ?? info.taps[info.taps.length - 1]!; // the last conv tap
  if (layer === '' || !info.taps.includes(tap)) throw new Error(`${spec}: unknown layer '${layer}' of ${arch}; available: ${info.taps.join(', ')}`);
  const inChannels = o.inChannels;
  if (!(Number.isInteger(inChannels) && inChannels! > 0)) throw new Error(`${spec}: needs the images' channel count (inChannels)`);
  if (o.mean === undefined || o.std === undefined) throw new Error(`${spec}: needs the data's per-channel mean and std to normalise its input`);
  const normalize = new Normalize(o.mean, o.std);
  const pool = parsePool(o.pool);
  const seed = o.seed ?? 0;

  const trunk = buildSeededTrunk(arch, inChannels!, seed);
  return networkSource({ name: spec, trunk, tap, inChannels: inChannels!, preprocess: (x) => normalize.apply(x), pool, device: o.device, precision: o.precision, dispose: () => trunk.dispose() });
}
