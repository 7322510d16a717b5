// The options of `selfsup pretext train` and of trainPretext(): the shared training options plus
// the task's own. Defaults live here (or in the constant a field names) and nowhere else.
import { z } from 'zod';
import { field } from '../util/options.js';
import { trainFields } from '../train/schema.js';
import { JIGSAW_DEFAULTS } from './jigsaw.js';
import { CFN_DEFAULTS } from './cfn.js';
import { PERMUTATION_COUNT } from './permutations.js';

export const PRETEXT_TASKS = ['jigsaw', 'jigsaw++', 'rotation'] as const;
export type PretextTask = (typeof PRETEXT_TASKS)[number];

/** Jigsaw++'s default: 0, 1 or 2 tiles from another image, each a third of the time. */
export const JIGSAW_PP_OCCLUSION = [1 / 3, 1 / 3, 1 / 3];

const probability = z.number().min(0).max(1);

export const pretextSchema = z.strictObject({
  task: field(z.enum(PRETEXT_TASKS), { description: 'the pretext task' }),
  arch: field(z.string().default('alexnet_s'), { description: 'the trunk architecture (see the model zoo)', arg: 'name' }),
  ...trainFields,
  permutations: field(z.int().min(1).max(PERMUTATION_COUNT).default(100), {
    description: "jigsaw: size of the permutation set (the paper: 1000 for Jigsaw, 701 for Jigsaw++)", arg: 'n',
  }),
  minHamming: field(z.int().min(0).max(9).default(0), { description: "jigsaw: minimum Hamming distance between permutations (the paper's Jigsaw++ set: 3)", arg: 'd' }),
  permutationFile: field(z.string().optional(), { description: "jigsaw: a set from 'selfsup pretext permutations --out'", role: 'input', arg: 'file' }),
  crop: field(z.int().min(3).optional(), { description: 'jigsaw: side of the random crop cut into 3x3 cells', defaultText: 'image side - 2', arg: 'px' }),
  tile: field(z.int().min(1).optional(), { description: 'jigsaw: side of a tile, at most crop/3', defaultText: 'cell side - 1', arg: 'px' }),
  grayscale: field(probability.default(JIGSAW_DEFAULTS.grayscale), { description: 'jigsaw, colour input: probability of a grayscale image', arg: 'p' }),
  channelShift: field(z.int().min(0).default(JIGSAW_DEFAULTS.channelShift), { description: 'jigsaw, colour input: largest per-channel shift', arg: 'px' }),
  occlusion: field(z.array(probability).min(1).max(9).optional(), {
    description: 'jigsaw++: probabilities of 0, 1, 2, ... tiles from another image', defaultText: '1/3,1/3,1/3 for jigsaw++, 1 for jigsaw', arg: 'p0,p1,...',
  }),
  tileFeatures: field(z.int().min(1).default(CFN_DEFAULTS.tileFeatures), { description: 'jigsaw: width of the per-tile fc', arg: 'n' }),
  hidden: field(z.int().min(1).default(CFN_DEFAULTS.hidden), { description: 'jigsaw: width of the fc over the 9 tiles', arg: 'n' }),
  bnImages: field(z.int().min(0).optional(), {
    description: 'jigsaw: training images on which the saved trunk re-estimates its BatchNorm statistics at full size (0: keep those of tiles)',
    defaultText: '10000 for the jigsaw tasks', arg: 'n',
  }),
  memory: field(z.boolean().optional(), { description: 'load the whole cache into memory', defaultText: 'when it is under 2 GiB', role: 'control' }),
});

/** Default of bnImages for the jigsaw tasks (a rotation trunk is trained on full images). */
export const DEFAULT_BN_IMAGES = 10_000;

export type PretextTrainOptions = z.input<typeof pretextSchema>;
export type PretextStageOptions = z.output<typeof pretextSchema>;

/** Options that only make sense for some tasks; giving them to another is an error. */
export function checkTaskOptions(o: PretextStageOptions): void {
  if (o.task !== 'jigsaw++' && o.occlusion) throw new Error('--occlusion is for --task jigsaw++');
  if (o.task === 'rotation' && o.bnImages !== undefined) throw new Error('--bn-images is for the jigsaw tasks (a rotation trunk is trained on full images)');
}
