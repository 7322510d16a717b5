// The options of `selfsup data prepare` and of prepareCache().
import { z } from 'zod';
import { field } from '../../util/options.js';
import { SOURCE_FORMATS } from '../sources/index.js';

export const prepareSchema = z.strictObject({
  source: field(z.string(), { description: "'fashion-mnist', a folder, or a CSV file", role: 'input', positional: true, arg: 'source' }),
  out: field(z.string(), { description: 'the cache folder to write', role: 'output', arg: 'dir' }),
  size: field(z.int().min(1).max(8192).default(32), {
    description: 'side of the square images: shorter side resized to N and centre-cropped; images within 7N/8..N are zero-padded instead', arg: 'n',
  }),
  channels: field(z.literal([1, 3]).optional(), { description: 'output channels', defaultText: "the source's, 3 for image files", arg: 'c' }),
  split: field(z.string().optional(), { description: 'split: train/test (fashion-mnist, IDX, CIFAR), train/test/unlabeled (STL-10), a subfolder (image folders)', arg: 'name' }),
  format: field(z.enum(SOURCE_FORMATS as [string, ...string[]]).optional(), { description: 'source format, instead of detecting it', arg: 'f' }),
  labels: field(z.enum(['default', 'fine', 'coarse', 'none']).default('default'), {
    description: "labels to keep: the source's ('default'; CIFAR-100: 'fine'), CIFAR-100's 'coarse', or 'none'", arg: 'which',
  }),
  limit: field(z.int().min(1).optional(), { description: 'keep only the first N images of the source (a quick subset; skipped files count)', defaultText: 'all', arg: 'n' }),
  force: field(z.boolean().default(false), { description: 'replace an existing cache made with other options (or another folder at --out)', role: 'control' }),
  quiet: field(z.boolean().default(false), { description: 'no progress bar or messages', role: 'control' }),
});

export type PrepareStageOptions = z.output<typeof prepareSchema>;
