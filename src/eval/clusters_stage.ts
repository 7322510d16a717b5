// `selfsup eval clusters`: a clustering (or a pseudo-labels file) against a cache's true labels.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { openCache } from '../data/cache/index.js';
import { readNpy } from '../io/npy.js';
import { ASSIGNMENTS_FILE } from '../cluster/index.js';
import { field, parseOptions } from '../util/options.js';
import { clusterQuality, type ClusterQuality } from './cluster_quality.js';

export const clustersEvalSchema = z.strictObject({
  clusters: field(z.string(), { description: "a clustering folder ('selfsup cluster') or a pseudo-labels .npy ('selfsup cluster assign')", role: 'input', arg: 'dir|file.npy' }),
  labels: field(z.string(), { description: 'the labeled cache of the same images, in the same order', role: 'input', arg: 'cache' }),
  json: field(z.boolean().default(false), { description: 'print the scores as JSON', role: 'control' }),
});

export function clusterQualityStage(options: z.input<typeof clustersEvalSchema>): ClusterQuality {
  const o = parseOptions(clustersEvalSchema, options);
  const p = resolve(o.clusters);
  if (!existsSync(p)) throw new Error(`--clusters ${o.clusters}: no such clustering folder or labels file`);
  const file = statSync(p).isDirectory() ? join(p, ASSIGNMENTS_FILE) : p;
  if (!existsSync(file)) throw new Error(`--clusters ${o.clusters}: not a clustering folder (no ${ASSIGNMENTS_FILE})`);
  const a = readNpy(file);
  if (a.shape.length !== 1 || (a.dtype !== 'int64' && a.dtype !== 'int32')) throw new Error(`${file}: expected a 1-D int64 array of cluster indices, got ${a.dtype} [${a.shape.join(', ')}]`);
  const cache = openCache(o.labels);
  try {
    if (cache.labels === null) throw new Error(`--labels ${o.labels}: the cache has no labels`);
    if (cache.count !== a.shape[0]) throw new Error(`--labels ${o.labels}: ${cache.count} images, ${file} has ${a.shape[0]} cluster indices; they must match one to one`);
    return clusterQuality(cache.labels, a.data as BigInt64Array | Int32Array);
  } finally {
    cache.close();
  }
}
