// `selfsup eval clusters`: a clustering (or a pseudo-labels file) against a cache's true labels.
import { z } from 'zod';
import { openCache } from '../data/cache/index.js';
import { readPseudoLabels } from '../cluster/index.js';
import { field, parseOptions } from '../util/options.js';
import { clusterQuality, type ClusterQuality } from './cluster_quality.js';

export const clustersEvalSchema = z.strictObject({
  clusters: field(z.string(), { description: "a clustering folder ('selfsup cluster') or a pseudo-labels .npy ('selfsup cluster assign')", role: 'input', arg: 'dir|file.npy' }),
  labels: field(z.string(), { description: 'the labeled cache of the same images, in the same order', role: 'input', arg: 'cache' }),
  json: field(z.boolean().default(false), { description: 'print the scores as JSON', role: 'control' }),
});

export function clusterQualityStage(options: z.input<typeof clustersEvalSchema>): ClusterQuality {
  const o = parseOptions(clustersEvalSchema, options);
  let pred: Int32Array, file: string;
  try {
    ({ labels: pred, file } = readPseudoLabels(o.clusters));
  } catch (e) {
    throw new Error(`--clusters ${(e as Error).message}`);
  }
  const cache = openCache(o.labels);
  try {
    if (cache.labels === null) throw new Error(`--labels ${o.labels}: the cache has no labels`);
    if (cache.count !== pred.length) throw new Error(`--labels ${o.labels}: ${cache.count} images, ${file} has ${pred.length} cluster indices; they must match one to one`);
    return clusterQuality(cache.labels, pred);
  } finally {
    cache.close();
  }
}
