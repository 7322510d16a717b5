// The options of `selfsup features` and of featuresStage().
import { z } from 'zod';
import { deviceField, field, precisionField } from '../util/options.js';

export const featuresSchema = z.strictObject({
  source: field(z.string(), { description: "the feature source (see 'selfsup features --help' or docs/features.md)", arg: 'spec' }),
  data: field(z.string(), { description: "an image cache ('selfsup data prepare')", role: 'input', arg: 'cache' }),
  out: field(z.string().regex(/\.npy$/, 'expected a file name ending in .npy'), { description: 'the features file (written when complete; FILE.json is its manifest)', role: 'output', arg: 'file.npy' }),
  stats: field(z.string().optional(), {
    description: "the cache whose per-channel mean and std prepare the images for a random:ARCH source: the training cache, also when --data is a test split",
    defaultText: '--data', role: 'input', arg: 'cache',
  }),
  pool: field(z.string().default('none'), { description: "network and pixel sources: average-pool to 'global' (1x1), a grid HxW (e.g. 2x2), or 'none'", arg: 'grid' }),
  seed: field(z.int().min(0).default(0), { description: 'seed of a random network', arg: 's' }),
  batchSize: field(z.int().min(1).default(256), { description: 'images per batch', arg: 'n' }),
  limit: field(z.int().min(1).optional(), { description: 'only the first N images', defaultText: 'all', arg: 'n' }),
  precision: precisionField("network sources: the arithmetic of the network's pass", '; the rows are written as float32'),
  device: deviceField('where a network source (random:ARCH, model:RUN) runs', '; hog and pixels run on the CPU; the rows come back to the CPU for the file'),
  quiet: field(z.boolean().default(false), { description: 'no progress bar', role: 'control' }),
});

export type FeaturesStageOptions = z.input<typeof featuresSchema>;
