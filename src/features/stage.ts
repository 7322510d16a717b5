// The features stage: a feature source run over every image of a cache, into an N x D .npy file
// with its manifest beside it (FILE.json).
import { resolve } from 'node:path';
import { resolveDevice } from '../engine/index.js';
import { openCache, type ImageCache } from '../data/cache/index.js';
import { inputRef, type InputRef } from '../artifacts/manifest.js';
import { configOf, parseOptions } from '../util/options.js';
import { extractFeatures, type FeaturesInfo } from './extract.js';
import { extractSharded } from './sharded.js';
import { checkSameOnAllRanks, isDistributed } from '../distributed/index.js';
import { parseSource } from './registry.js';
import { splitLayer } from './network.js';
import { featuresSchema, type FeaturesStageOptions } from './schema.js';

/** The run folder a 'model:RUN[@LAYER]' source reads, as an input of the stage. */
function modelInput(spec: string): Record<string, InputRef> {
  if (!spec.startsWith('model:')) return {};
  return { model: inputRef(splitLayer(spec.slice('model:'.length))[0]) };
}

/** The source as recorded: a run's path left out (the run is an input, with its key), so the
 *  content key of the same features does not depend on where the run folder is. */
function recordedSource(spec: string): string {
  if (!spec.startsWith('model:')) return spec;
  const layer = splitLayer(spec.slice('model:'.length))[1];
  return layer === undefined ? 'model' : `model@${layer}`;
}

/** The pixel statistics of another cache of the same image shape. */
function statsOf(path: string, data: ImageCache): { mean: number[]; std: number[] } {
  const c = openCache(path);
  try {
    if (c.shape.join() !== data.shape.join()) throw new Error(`--stats ${path}: images of [${c.shape.join(', ')}], --data has [${data.shape.join(', ')}]`);
    return { mean: c.manifest.mean, std: c.manifest.std };
  } finally {
    c.close();
  }
}

/**
 * Features of every image of a cache into OUT (.npy) and OUT.json. In a group of processes each
 * rank extracts its whole batches (sharded.ts) and rank 0 assembles the file; the other ranks
 * return null.
 */
export async function featuresStage(options: FeaturesStageOptions): Promise<(FeaturesInfo & { out: string }) | null> {
  const o = parseOptions(featuresSchema, options);
  const device = resolveDevice(o.device); // before anything is written
  checkSameOnAllRanks('the features config', JSON.stringify({ ...configOf(featuresSchema, o), out: resolve(o.out) }));
  const cache = openCache(o.data);
  try {
    const stats = o.stats === undefined ? cache.manifest : statsOf(o.stats, cache);
    const source = parseSource(o.source, { inChannels: cache.shape[0], mean: stats.mean, std: stats.std, pool: o.pool, seed: o.seed, device, precision: o.precision });
    try {
      const out = resolve(o.out);
      const info = await (isDistributed() ? extractSharded : extractFeatures)(source, cache, out, {
        batchSize: o.batchSize, limit: o.limit, quiet: o.quiet, data: cache.dir,
        info: { pool: o.pool, ...(o.source.startsWith('random:') ? { seed: o.seed } : {}) },
        manifest: {
          config: { ...configOf(featuresSchema, o), source: recordedSource(o.source) },
          inputs: { data: { path: cache.dir, key: cache.manifest.key }, ...modelInput(o.source), ...(o.stats !== undefined ? { stats: inputRef(o.stats) } : {}) },
        },
      });
      return info && { ...info, out };
    } finally {
      source.dispose();
    }
  } finally {
    cache.close();
  }
}
