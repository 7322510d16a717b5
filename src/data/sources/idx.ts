// IDX files in a folder (the MNIST layout): PREFIX-images-idx3-ubyte with N x H x W bytes
// (or idx4: N x H x W x C, C = 1 or 3) and, optionally, PREFIX-labels-idx1-ubyte with N labels.
// Either may be gzipped (.gz). The split is the prefix, with 't10k' also called 'test'.
// Class names: the fashion-mnist built-in has its own; otherwise '0'..'K-1'.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readIdx } from '../idx.js';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR } from '../fashion_mnist.js';
import type { DatasetSource, LabelChoice, SourceItem } from './types.js';

const IMAGES_RE = /^(.*?)[-_.]?images?[-_.]idx([34])[-_.]ubyte(\.gz)?$/i;
const LABELS_RE = /^(.*?)[-_.]?labels?[-_.]idx1[-_.]ubyte(\.gz)?$/i;

function splitName(prefix: string): string {
  return prefix.toLowerCase() === 't10k' ? 'test' : prefix;
}

interface IdxSplit {
  images: string;
  labels: string | null;
}

/** The splits of an IDX folder by name (uncompressed files preferred over .gz). */
export function idxSplits(dir: string): Map<string, IdxSplit> {
  const names = readdirSync(dir).sort();
  const splits = new Map<string, IdxSplit>();
  const pick = (old: string | null | undefined, name: string) => (old && !old.endsWith('.gz') ? old : join(dir, name));
  for (const name of names) {
    const m = IMAGES_RE.exec(name);
    if (!m) continue;
    const s = splitName(m[1]!);
    const cur = splits.get(s);
    splits.set(s, { images: pick(cur?.images, name), labels: cur?.labels ?? null });
  }
  for (const name of names) {
    const m = LABELS_RE.exec(name);
    if (!m) continue;
    const cur = splits.get(splitName(m[1]!));
    if (cur) cur.labels = pick(cur.labels, name);
  }
  return splits;
}

export function hasIdxFiles(dir: string): boolean {
  return readdirSync(dir).some((n) => IMAGES_RE.test(n));
}

export function openIdx(dir: string, split: string | undefined, labels: LabelChoice, classNames?: string[]): DatasetSource {
  dir = resolve(dir);
  if (labels === 'fine' || labels === 'coarse') throw new Error(`--labels ${labels} is for CIFAR-100; IDX files have one label set`);
  const splits = idxSplits(dir);
  if (splits.size === 0) throw new Error(`${dir}: no IDX image files (expected names like train-images-idx3-ubyte or t10k-images-idx3-ubyte.gz)`);
  const name = split ?? (splits.has('train') ? 'train' : splits.size === 1 ? [...splits.keys()][0]! : undefined);
  if (name === undefined) throw new Error(`${dir}: several IDX splits (${[...splits.keys()].join(', ')}); choose one with --split`);
  const files = splits.get(name);
  if (!files) throw new Error(`${dir}: no IDX split '${name}' (found: ${[...splits.keys()].join(', ')})`);

  const img = readIdx(files.images);
  const dims = img.shape;
  if (!(dims.length === 3 || (dims.length === 4 && (dims[3] === 1 || dims[3] === 3)))) {
    throw new Error(`${files.images}: expected IDX images of shape [N, H, W] or [N, H, W, C] with C = 1 or 3, got [${dims.join(', ')}]`);
  }
  const [count, height, width] = dims as [number, number, number];
  const channels = (dims[3] ?? 1) as 1 | 3;

  let lab: Uint8Array | null = null;
  if (files.labels && labels !== 'none') {
    const l = readIdx(files.labels);
    if (l.shape.length !== 1) throw new Error(`${files.labels}: expected IDX labels of shape [N], got [${l.shape.join(', ')}]`);
    if (l.shape[0] !== count) throw new Error(`${files.labels}: ${l.shape[0]} labels, but ${files.images} holds ${count} images (the counts must match)`);
    lab = l.data;
  }
  let names: string[] | null = null;
  if (lab) {
    let k = 0;
    for (const v of lab) k = Math.max(k, v + 1);
    if (classNames) {
      if (k > classNames.length) throw new Error(`${files.labels}: label ${k - 1} but only ${classNames.length} classes`);
      names = classNames;
    } else names = Array.from({ length: k }, (_, i) => String(i));
  }
  const per = height * width * channels;
  return {
    format: 'idx',
    id: dir,
    split: name,
    description: `IDX ${dir} (split ${name}: ${files.images}${lab ? `, ${files.labels}` : ', no labels'})`,
    count,
    classNames: names,
    channels,
    ignoredFiles: 0,
    *items(): Iterable<SourceItem> {
      for (let i = 0; i < count; i++) {
        const hwc = img.data.subarray(i * per, (i + 1) * per);
        let data: Uint8Array;
        if (channels === 1) data = hwc.slice();
        else {
          data = new Uint8Array(per);
          const plane = height * width;
          for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) data[c * plane + p] = hwc[p * 3 + c]!;
        }
        yield { pixels: { data, channels, height, width }, label: lab ? lab[i]! : null };
      }
    },
  };
}

/** The built-in 'fashion-mnist': the Debian package's IDX files, splits train (60k) and test (10k). */
export function openFashionMnist(split: string | undefined, labels: LabelChoice): DatasetSource {
  const s = split ?? 'train';
  if (s !== 'train' && s !== 'test') throw new Error(`fashion-mnist: no split '${s}' (expected train or test)`);
  let src: DatasetSource;
  try {
    src = openIdx(FASHION_MNIST_DIR, s, labels, FASHION_MNIST_CLASSES);
  } catch (e) {
    throw new Error(
      `fashion-mnist: ${(e as Error).message}. Install the Debian package dataset-fashion-mnist ` +
        `(apt-get install dataset-fashion-mnist) or set SELFSUP_FASHION_MNIST to a folder with its IDX files`,
    );
  }
  return { ...src, format: 'fashion-mnist', id: 'fashion-mnist', description: `Fashion-MNIST, ${src.description}` };
}
