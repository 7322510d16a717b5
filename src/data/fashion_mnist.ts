// Fashion-MNIST from the Debian package dataset-fashion-mnist (Xiao et al. 2017):
// 60,000 training and 10,000 test images, 28x28 grayscale, 10 classes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readIdx } from './idx.js';

export const FASHION_MNIST_DIR = process.env.SELFSUP_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

export interface LabeledImages {
  /** N x H x W x C uint8, row-major (here C = 1). */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
}

function find(dir: string, base: string): string {
  for (const name of [base, base + '.gz']) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new Error(
    `Fashion-MNIST file ${base}(.gz) not found in ${dir}: install the Debian package dataset-fashion-mnist ` +
      `(apt-get install dataset-fashion-mnist) or set SELFSUP_FASHION_MNIST to a folder with the IDX files`,
  );
}

export function loadFashionMnist(split: 'train' | 'test', dir = FASHION_MNIST_DIR): LabeledImages {
  const prefix = split === 'train' ? 'train' : 't10k';
  const imgPath = find(dir, `${prefix}-images-idx3-ubyte`);
  const lblPath = find(dir, `${prefix}-labels-idx1-ubyte`);
  const img = readIdx(imgPath);
  const lbl = readIdx(lblPath);
  if (img.shape.length !== 3) throw new Error(`${imgPath}: expected 3 dims (N, H, W), got [${img.shape.join(', ')}]`);
  if (lbl.shape.length !== 1) throw new Error(`${lblPath}: expected 1 dim (N), got [${lbl.shape.join(', ')}]`);
  if (lbl.shape[0] !== img.shape[0]) {
    throw new Error(`${lblPath}: ${lbl.shape[0]} labels but ${imgPath} holds ${img.shape[0]} images`);
  }
  const [count, height, width] = img.shape as [number, number, number];
  return { images: img.data, labels: lbl.data, count, height, width, channels: 1, classNames: FASHION_MNIST_CLASSES };
}
