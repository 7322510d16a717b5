// The options of `selfsup train supervised` and of trainSupervised(): the shared training options
// plus the target architecture and augmentation.
import { z } from 'zod';
import { field } from '../util/options.js';
import { trainFields } from '../train/schema.js';

export const supervisedSchema = z.strictObject({
  arch: field(z.string().default('alexnet_s'), { description: 'the architecture to train (see the model zoo)', arg: 'name' }),
  ...trainFields,
  data: field(z.string(), { description: "a labeled cache ('selfsup data prepare'); the network learns its classes", role: 'input', arg: 'cache' }),
  cropPadding: field(z.int().min(0).default(2), { description: 'random-crop padding (0: no random crop)', arg: 'px' }),
  flip: field(z.boolean().default(true), { description: 'random horizontal flips' }),
});

export type SupervisedTrainOptions = z.input<typeof supervisedSchema>;
export type SupervisedStageOptions = z.output<typeof supervisedSchema>;
