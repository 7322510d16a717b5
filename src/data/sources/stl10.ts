// STL-10, binary version (https://cs.stanford.edu/~acoates/stl10/): splits train (5,000 labeled),
// test (8,000 labeled) and unlabeled (100,000). SPLIT_X.bin holds N x 3 x 96 x 96 bytes where each
// colour plane is stored column-major (the byte at [c][x][y] is the pixel in row y, column x);
// SPLIT_y.bin holds N label bytes 1..10 (stored here as 0..9). Names: class_names.txt.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { classNamesFrom, fileSize, firstExisting, readRecords, recordCount } from './files.js';
import type { DatasetSource, LabelChoice, SourceItem } from './types.js';

const SIDE = 96;
const PLANE = SIDE * SIDE;
const RECORD = 3 * PLANE;

export const STL10_CLASSES = ['airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse', 'monkey', 'ship', 'truck'];

export function looksLikeStl10(dir: string): boolean {
  return ['train_X.bin', 'test_X.bin', 'unlabeled_X.bin'].some((n) => existsSync(join(dir, n)));
}

/** One STL-10 record (column-major planes) as C x H x W row-major bytes. */
export function stlToChw(rec: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD);
  for (let c = 0; c < 3; c++) {
    const base = c * PLANE;
    for (let x = 0; x < SIDE; x++) {
      for (let y = 0; y < SIDE; y++) out[base + y * SIDE + x] = rec[base + x * SIDE + y]!;
    }
  }
  return out;
}

export function openStl10(dir: string, split: string | undefined, labels: LabelChoice): DatasetSource {
  dir = resolve(dir);
  const name = split ?? 'train';
  if (!['train', 'test', 'unlabeled'].includes(name)) throw new Error(`STL-10 ${dir}: no split '${name}' (expected train, test or unlabeled)`);
  if (labels === 'fine' || labels === 'coarse') throw new Error(`--labels ${labels} is for CIFAR-100; STL-10 has one label set`);
  const xFile = join(dir, `${name}_X.bin`);
  if (!existsSync(xFile)) throw new Error(`${xFile}: missing (the STL-10 ${name} split)`);
  const count = recordCount(xFile, RECORD, '3 x 96 x 96 pixel bytes');
  let lab: Uint8Array | null = null;
  const yFile = join(dir, `${name}_y.bin`);
  if (name !== 'unlabeled' && labels !== 'none') {
    if (!existsSync(yFile)) throw new Error(`${yFile}: missing (labels of the STL-10 ${name} split)`);
    const n = fileSize(yFile);
    if (n !== count) throw new Error(`${yFile}: ${n} labels, but ${xFile} holds ${count} images (the counts must match)`);
    lab = new Uint8Array(recordCount(yFile, 1, 'one label byte'));
    for (const [first, buf] of readRecords(yFile, 1)) lab.set(buf, first);
    for (let i = 0; i < count; i++) {
      if (lab[i]! < 1 || lab[i]! > 10) throw new Error(`${yFile}: label ${lab[i]} of image ${i}, expected 1..10`);
    }
  }
  const names = firstExisting(dir, ['class_names.txt']);
  return {
    format: 'stl10',
    id: dir,
    split: name,
    description: `STL-10 binary ${dir} (split ${name}${lab ? '' : ', no labels'})`,
    count,
    classNames: lab ? (names ? classNamesFrom(names, 10) : [...STL10_CLASSES]) : null,
    channels: 3,
    ignoredFiles: 0,
    *items(): Iterable<SourceItem> {
      for (const [first, buf] of readRecords(xFile, RECORD, 256)) {
        for (let r = 0; r < buf.length / RECORD; r++) {
          const data = stlToChw(buf.subarray(r * RECORD, (r + 1) * RECORD));
          yield { pixels: { data, channels: 3, height: SIDE, width: SIDE }, label: lab ? lab[first + r]! - 1 : null };
        }
      }
    },
  };
}
