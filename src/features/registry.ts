// Feature sources by name: 'KIND' or 'KIND:ARGUMENT'. A new source is a file with a factory and
// one entry here; nothing that consumes features changes.
import { hogSource } from './hog.js';
import { modelSource } from './model.js';
import { pixelsSource } from './pixels.js';
import { randomSource } from './random.js';
import type { FeatureSource, SourceOptions } from './source.js';

/** Makes a source from its full spec, the part after 'KIND:' ('' if none) and the options. */
export type SourceFactory = (spec: string, arg: string, options: SourceOptions) => FeatureSource;

export const SOURCES: Record<string, { create: SourceFactory; usage: string }> = {
  pixels: { create: pixelsSource, usage: 'pixels: the images flattened (--pool: average-pooled to a grid first)' },
  hog: {
    create: hogSource,
    usage: "hog[:orientations=9,cell=8x8,block=3x3,norm=L2-Hys,sqrt=false]: HOG as scikit-image's (its defaults)",
  },
  random: { create: randomSource, usage: 'random:ARCH[@LAYER]: a freshly initialised zoo net (--seed), default its last conv layer' },
  model: { create: modelSource, usage: "model:RUN[@LAYER]: a finished run's trained trunk, default its last conv layer" },
};

/** The source a spec names, e.g. 'hog', 'pixels', 'random:alexnet_s@conv5'. */
export function parseSource(spec: string, options: SourceOptions = {}): FeatureSource {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const entry = Object.hasOwn(SOURCES, kind) ? SOURCES[kind] : undefined;
  if (entry === undefined) {
    throw new Error(`unknown feature source '${spec}'; expected one of:\n  ${Object.values(SOURCES).map((s) => s.usage).join('\n  ')}`);
  }
  return entry.create(spec, colon < 0 ? '' : spec.slice(colon + 1), options);
}
