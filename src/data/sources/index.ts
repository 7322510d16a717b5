// Opening a data source by name: 'fashion-mnist', a folder (IDX, CIFAR-10/100, STL-10 binaries,
// or images), or a CSV file. A folder's format is detected from the files in it, in this order:
//   IDX files (*-images-idx3-ubyte[.gz]) -> idx; data_batch_N.bin / test_batch.bin -> cifar10;
//   train.bin / test.bin / fine_label_names.txt -> cifar100; SPLIT_X.bin -> stl10;
//   a single subfolder named as the archives unpack (cifar-10-batches-bin, cifar-100-binary,
//   stl10_binary) -> that; anything else -> a folder of images. --format skips detection.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { looksLikeCifar10, looksLikeCifar100, openCifar10, openCifar100 } from './cifar.js';
import { openCsv } from './csv.js';
import { openImageFolder } from './image_folder.js';
import { hasIdxFiles, openFashionMnist, openIdx } from './idx.js';
import { looksLikeStl10, openStl10 } from './stl10.js';
import { SOURCE_FORMATS, type DatasetSource, type OpenSourceOptions, type SourceFormat } from './types.js';

export * from './types.js';
export { IMAGE_EXTENSIONS, listImages } from './image_folder.js';
export { parseCsvLine } from './csv.js';
export { stlToChw, STL10_CLASSES } from './stl10.js';
export { CIFAR10_CLASSES } from './cifar.js';

const ARCHIVE_FOLDERS: [string, SourceFormat][] = [
  ['cifar-10-batches-bin', 'cifar10'],
  ['cifar-100-binary', 'cifar100'],
  ['stl10_binary', 'stl10'],
];

/** The format of a folder's contents (see the rules above), and the folder that holds them. */
export function detectFolder(dir: string): { format: SourceFormat; dir: string } {
  if (hasIdxFiles(dir)) return { format: 'idx', dir };
  if (looksLikeCifar10(dir)) return { format: 'cifar10', dir };
  if (looksLikeCifar100(dir)) return { format: 'cifar100', dir };
  if (looksLikeStl10(dir)) return { format: 'stl10', dir };
  for (const [name, format] of ARCHIVE_FOLDERS) {
    const sub = join(dir, name);
    if (existsSync(sub) && statSync(sub).isDirectory()) return { format, dir: sub };
  }
  return { format: 'images', dir };
}

export function openSource(spec: string, opts: OpenSourceOptions = {}): DatasetSource {
  const labels = opts.labels ?? 'default';
  if (opts.format !== undefined && !SOURCE_FORMATS.includes(opts.format)) {
    throw new Error(`unknown source format '${String(opts.format)}' (expected one of ${SOURCE_FORMATS.join(', ')})`);
  }
  if (spec === 'fashion-mnist' || opts.format === 'fashion-mnist') {
    if (spec !== 'fashion-mnist') throw new Error(`--format fashion-mnist takes no path (the SOURCE is 'fashion-mnist')`);
    return openFashionMnist(opts.split, labels);
  }
  const path = resolve(spec);
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new Error(`${spec}: no such file or folder (SOURCE is 'fashion-mnist', a folder, or a CSV file)`);
  }
  if (!isDir) {
    if (opts.format !== undefined && opts.format !== 'csv') throw new Error(`${spec}: --format ${opts.format} needs a folder, this is a file`);
    return openCsv(path, opts.split, labels);
  }
  const { format, dir } = opts.format ? { format: opts.format, dir: path } : detectFolder(path);
  switch (format) {
    case 'idx':
      return openIdx(dir, opts.split, labels);
    case 'cifar10':
      return openCifar10(dir, opts.split, labels);
    case 'cifar100':
      return openCifar100(dir, opts.split, labels);
    case 'stl10':
      return openStl10(dir, opts.split, labels);
    case 'images':
      return openImageFolder(dir, opts.split, labels);
    case 'csv':
      throw new Error(`${spec}: --format csv needs a CSV file, this is a folder`);
    default:
      throw new Error(`unknown source format '${format}'`);
  }
}
