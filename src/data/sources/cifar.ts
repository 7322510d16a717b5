// CIFAR-10 and CIFAR-100, binary versions (https://www.cs.toronto.edu/~kriz/cifar.html).
// CIFAR-10: data_batch_1.bin .. data_batch_5.bin (train) and test_batch.bin (test); each record is
//   1 label byte (0..9) + 3072 pixel bytes (1024 red, 1024 green, 1024 blue; rows of 32, row-major).
// CIFAR-100: train.bin and test.bin; each record is 1 coarse label byte (0..19), 1 fine label byte
//   (0..99), then the same 3072 pixel bytes. Names: batches.meta.txt, coarse/fine_label_names.txt.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { classNamesFrom, firstExisting, readRecords, recordCount } from './files.js';
import type { DatasetSource, LabelChoice, SourceItem } from './types.js';

const PIXELS = 3 * 32 * 32;
/** Used when batches.meta.txt is absent. */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export function looksLikeCifar10(dir: string): boolean {
  return existsSync(join(dir, 'test_batch.bin')) || existsSync(join(dir, 'data_batch_1.bin'));
}

export function looksLikeCifar100(dir: string): boolean {
  return existsSync(join(dir, 'fine_label_names.txt')) || ((existsSync(join(dir, 'train.bin')) || existsSync(join(dir, 'test.bin'))) && !looksLikeCifar10(dir));
}

function* records(files: string[], record: number, labelAt: number, classes: number): Iterable<SourceItem> {
  for (let f = 0; f < files.length; f++) {
    for (const [first, buf] of readRecords(files[f]!, record)) {
      const n = buf.length / record;
      for (let r = 0; r < n; r++) {
        const label = buf[r * record + labelAt]!;
        if (label >= classes) {
          throw new Error(`${files[f]}: record ${first + r} has label ${label}, expected 0..${classes - 1} (is this the right CIFAR version?)`);
        }
        const start = r * record + record - PIXELS;
        yield { pixels: { data: new Uint8Array(buf.subarray(start, start + PIXELS)), channels: 3, height: 32, width: 32 }, label };
      }
    }
  }
}

export function openCifar10(dir: string, split: string | undefined, labels: LabelChoice): DatasetSource {
  dir = resolve(dir);
  const name = split ?? 'train';
  let files: string[];
  if (name === 'train') {
    files = readdirSync(dir)
      .filter((n) => /^data_batch_\d+\.bin$/.test(n))
      .sort((a, b) => parseInt(a.slice(11), 10) - parseInt(b.slice(11), 10))
      .map((n) => join(dir, n));
    if (files.length === 0) throw new Error(`${dir}: no CIFAR-10 training batches (expected data_batch_1.bin .. data_batch_5.bin)`);
  } else if (name === 'test') {
    files = [join(dir, 'test_batch.bin')];
    if (!existsSync(files[0]!)) throw new Error(`${files[0]}: missing (the CIFAR-10 test split)`);
  } else throw new Error(`CIFAR-10 ${dir}: no split '${name}' (expected train or test)`);
  if (labels === 'fine' || labels === 'coarse') throw new Error(`--labels ${labels} is for CIFAR-100; CIFAR-10 has one label set`);
  const what = '1 label byte + 3072 pixel bytes';
  const counts = files.map((f) => recordCount(f, 1 + PIXELS, what));
  const count = counts.reduce((a, b) => a + b, 0);
  const keep = labels !== 'none';
  const meta = firstExisting(dir, ['batches.meta.txt']);
  const classNames = !keep ? null : meta ? classNamesFrom(meta, 10) : [...CIFAR10_CLASSES];
  return {
    format: 'cifar10',
    id: dir,
    split: name,
    description: `CIFAR-10 binary ${dir} (split ${name}: ${files.length} file${files.length > 1 ? 's' : ''})`,
    count,
    classNames,
    channels: 3,
    ignoredFiles: 0,
    *items() {
      for (const it of records(files, 1 + PIXELS, 0, 10)) yield keep ? it : { ...it, label: null };
    },
  };
}

export function openCifar100(dir: string, split: string | undefined, labels: LabelChoice): DatasetSource {
  dir = resolve(dir);
  const name = split ?? 'train';
  if (name !== 'train' && name !== 'test') throw new Error(`CIFAR-100 ${dir}: no split '${name}' (expected train or test)`);
  const file = join(dir, `${name}.bin`);
  if (!existsSync(file)) throw new Error(`${file}: missing (the CIFAR-100 ${name} split)`);
  const count = recordCount(file, 2 + PIXELS, '1 coarse label byte + 1 fine label byte + 3072 pixel bytes');
  const coarse = labels === 'coarse';
  const keep = labels !== 'none';
  const k = coarse ? 20 : 100;
  const classNames = keep ? classNamesFrom(firstExisting(dir, [coarse ? 'coarse_label_names.txt' : 'fine_label_names.txt']), k) : null;
  return {
    format: 'cifar100',
    id: dir,
    split: name,
    description: `CIFAR-100 binary ${dir} (split ${name}, ${keep ? (coarse ? 'coarse' : 'fine') : 'no'} labels)`,
    count,
    classNames,
    channels: 3,
    ignoredFiles: 0,
    *items() {
      for (const it of records([file], 2 + PIXELS, coarse ? 0 : 1, k)) yield keep ? it : { ...it, label: null };
    },
  };
}
