// The options of `selfsup transfer train` and of trainTransfer(): the shared training options
// plus cluster classification's own.
import { z } from 'zod';
import { field } from '../util/options.js';
import { trainFields } from '../train/schema.js';

export const transferSchema = z.strictObject({
  clusters: field(z.string(), {
    description: "a clustering folder ('selfsup cluster --out') or pseudo-labels ('selfsup cluster assign --out')", role: 'input', arg: 'dir|file.npy',
  }),
  arch: field(z.string().default('alexnet_s'), { description: 'the target architecture (see the model zoo)', arg: 'name' }),
  ...trainFields,
  data: field(z.string(), { description: 'the cache whose images the pseudo-labels are for (same images, same order)', role: 'input', arg: 'cache' }),
  balanced: field(z.boolean().default(false), { description: 'sample clusters uniformly, then an image of the cluster (as DeepCluster)' }),
  cropPadding: field(z.int().min(0).default(2), { description: 'random-crop padding (0: no random crop)', arg: 'px' }),
  flip: field(z.boolean().default(true), { description: 'random horizontal flips' }),
});

export type TransferTrainOptions = z.input<typeof transferSchema>;
export type TransferStageOptions = z.output<typeof transferSchema>;
