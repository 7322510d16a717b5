// Each source format read back from fixtures written here byte by byte (IDX, CIFAR, STL-10) or
// with sharp (image folders, CSV lists), and the errors for malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { openSource, detectFolder, parseCsvLine, type DatasetSource, type Pixels } from '../../src/data/sources/index.js';
import { openCache, prepareCache } from '../../src/data/cache/index.js';
import { randomBytes } from '../helpers/random.js';
import { tempFolders } from '../helpers/tmp.js';
import { idxFile } from '../helpers/idx.js';

const fresh = tempFolders('sources');

function items(src: DatasetSource): { pixels: Pixels | undefined; path: string | undefined; label: number | null }[] {
  return [...src.items()].map((it) => ({ pixels: it.pixels, path: it.path, label: it.label }));
}

const quiet = { quiet: true } as const;

test('IDX folder: train and t10k splits, gzipped or not, read as C x H x W with labels', async () => {
  const dir = fresh('idx');
  const train = randomBytes(5 * 7 * 8, 1); // N=5, H=7, W=8 (not square on purpose)
  const test = randomBytes(3 * 7 * 8, 2);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxFile([5, 7, 8], train));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxFile([5], Uint8Array.of(0, 3, 1, 3, 2)));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idxFile([3, 7, 8], test)));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxFile([3], Uint8Array.of(2, 2, 0))));
  assert.equal(detectFolder(dir).format, 'idx');

  const src = openSource(dir);
  assert.equal(src.split, 'train');
  assert.equal(src.count, 5);
  assert.deepEqual(src.classNames, ['0', '1', '2', '3']);
  const got = items(src);
  assert.deepEqual(got.map((g) => g.label), [0, 3, 1, 3, 2]);
  for (let i = 0; i < 5; i++) {
    assert.deepEqual([got[i]!.pixels!.channels, got[i]!.pixels!.height, got[i]!.pixels!.width], [1, 7, 8]);
    assert.deepEqual(got[i]!.pixels!.data, train.subarray(i * 56, (i + 1) * 56));
  }
  const t = openSource(dir, { split: 'test' });
  assert.equal(t.count, 3);
  assert.deepEqual(items(t)[2]!.pixels!.data, test.subarray(112, 168));

  // Through the cache: 7 x 8 with --size 8 is padded (7 >= 8 * 7/8), one zero row added at the bottom.
  const out = join(fresh('idx-cache'), 'c');
  const r = await prepareCache(dir, { out, split: 'test', size: 8, ...quiet });
  assert.deepEqual(r.manifest.shape, [1, 8, 8]);
  assert.deepEqual(r.manifest.fit, { identity: 0, pad: 3, resize: 0 });
  const c = openCache(out);
  assert.deepEqual([...c.labels!], [2, 2, 0]);
  const img1 = c.readRange(1, 1);
  assert.deepEqual(img1.subarray(0, 56), test.subarray(56, 112), 'rows 0..6 as they were (top padding floor(1/2) = 0)');
  assert.deepEqual([...img1.subarray(56)], new Array(8).fill(0), 'the added row is zero');
  c.close();
});

test('IDX: idx4 colour images, and unlabeled when there is no labels file', () => {
  const dir = fresh('idx4');
  // N=2, H=2, W=2, C=3, interleaved; pixel (y, x) channel c = 100*c + 10*y + x + n
  const hwc = new Uint8Array(2 * 2 * 2 * 3);
  for (let n = 0; n < 2; n++) for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) for (let c = 0; c < 3; c++) hwc[((n * 2 + y) * 2 + x) * 3 + c] = 100 * c + 10 * y + x + n;
  writeFileSync(join(dir, 'all-images-idx4-ubyte'), idxFile([2, 2, 2, 3], hwc));
  const src = openSource(dir);
  assert.equal(src.split, 'all');
  assert.equal(src.classNames, null);
  assert.equal(src.channels, 3);
  const p = items(src)[1]!.pixels!;
  assert.deepEqual([...p.data], [1, 2, 11, 12, 101, 102, 111, 112, 201, 202, 211, 212]);
  assert.equal(items(src)[1]!.label, null);
});

test('IDX errors: truncated file, label count mismatch, wrong split, bad shape', () => {
  const dir = fresh('idx-bad');
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxFile([4, 3, 3], randomBytes(36, 3)).subarray(0, 40));
  assert.throws(() => openSource(dir), /train-images-idx3-ubyte: IDX data has 24 bytes but shape \[4, 3, 3\] needs 36/);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxFile([4, 3, 3], randomBytes(36, 3)));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxFile([3], Uint8Array.of(1, 2, 3)));
  assert.throws(() => openSource(dir), /train-labels-idx1-ubyte: 3 labels, but .*train-images-idx3-ubyte holds 4 images/);
  assert.throws(() => openSource(dir, { split: 'val' }), /no IDX split 'val' \(found: train\)/);
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxFile([2, 2], Uint8Array.of(1, 2, 3, 4)));
  assert.throws(() => openSource(dir), /expected IDX labels of shape \[N\], got \[2, 2\]/);
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), Buffer.from('not idx at all'));
  assert.throws(() => openSource(dir), /train-labels-idx1-ubyte: not an IDX file/);
});

/** A CIFAR record's pixels: plane c, row y, column x = f(i, c, y, x). */
function cifarPixels(i: number, seed: number): Uint8Array {
  return randomBytes(3072, seed * 1000 + i);
}

test('CIFAR-10: training batches in numeric order, test batch, class names, C x H x W pixels', async () => {
  const dir = fresh('cifar10');
  const records = (n: number, seed: number, label: (i: number) => number) =>
    Buffer.concat(Array.from({ length: n }, (_, i) => Buffer.concat([Buffer.of(label(i)), Buffer.from(cifarPixels(i, seed))])));
  // Batch 10 sorts before batch 2 as text; the source must order them numerically.
  writeFileSync(join(dir, 'data_batch_1.bin'), records(2, 1, (i) => i));
  writeFileSync(join(dir, 'data_batch_2.bin'), records(3, 2, (i) => 9 - i));
  writeFileSync(join(dir, 'data_batch_10.bin'), records(1, 10, () => 5));
  writeFileSync(join(dir, 'test_batch.bin'), records(2, 3, () => 4));
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
  writeFileSync(join(dir, 'batches.meta.txt'), names.join('\n') + '\n\n');
  assert.equal(detectFolder(dir).format, 'cifar10');

  const src = openSource(dir);
  assert.equal(src.count, 6);
  assert.deepEqual(src.classNames, names);
  const got = items(src);
  assert.deepEqual(got.map((g) => g.label), [0, 1, 9, 8, 7, 5]);
  assert.deepEqual(got[3]!.pixels!.data, cifarPixels(1, 2));
  assert.deepEqual(got[5]!.pixels!.data, cifarPixels(0, 10));

  const out = join(fresh('c10-cache'), 'c');
  const r = await prepareCache(dir, { out, split: 'test', ...quiet });
  assert.deepEqual(r.manifest.shape, [3, 32, 32]);
  assert.equal(r.manifest.fit.identity, 2);
  const c = openCache(out);
  assert.deepEqual(c.readRange(0, 2), new Uint8Array(Buffer.concat([cifarPixels(0, 3), cifarPixels(1, 3)])));
  assert.deepEqual([...c.labels!], [4, 4]);
  assert.deepEqual(c.classNames, names);
  c.close();
});

test('CIFAR-10 errors: truncated batch, out-of-range label, missing split', () => {
  const dir = fresh('cifar10-bad');
  writeFileSync(join(dir, 'data_batch_1.bin'), Buffer.alloc(3073 * 2 + 100));
  assert.throws(() => openSource(dir), /data_batch_1\.bin: 6246 bytes is not a whole number of 3073-byte records/);
  writeFileSync(join(dir, 'data_batch_1.bin'), Buffer.concat([Buffer.of(3), Buffer.alloc(3072), Buffer.of(12), Buffer.alloc(3072)]));
  const src = openSource(dir);
  assert.throws(() => items(src), /data_batch_1\.bin: record 1 has label 12, expected 0\.\.9/);
  assert.throws(() => openSource(dir, { split: 'test' }), /test_batch\.bin: missing/);
  assert.throws(() => openSource(dir, { split: 'val' }), /no split 'val'/);
});

test('CIFAR-100: fine labels by default, coarse on request, names from the label files', async () => {
  const dir = fresh('cifar100');
  const coarse = [3, 19, 0];
  const fine = [42, 99, 7];
  writeFileSync(join(dir, 'train.bin'), Buffer.concat(fine.map((f, i) => Buffer.concat([Buffer.of(coarse[i]!, f), Buffer.from(cifarPixels(i, 5))]))));
  writeFileSync(join(dir, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n'));
  writeFileSync(join(dir, 'coarse_label_names.txt'), Array.from({ length: 20 }, (_, i) => `coarse${i}`).join('\n'));
  assert.equal(detectFolder(dir).format, 'cifar100');
  const src = openSource(dir);
  assert.deepEqual(items(src).map((g) => g.label), fine);
  assert.equal(src.classNames![42], 'fine42');
  assert.deepEqual(items(src)[2]!.pixels!.data, cifarPixels(2, 5));
  const c = openSource(dir, { labels: 'coarse' });
  assert.deepEqual(items(c).map((g) => g.label), coarse);
  assert.equal(c.classNames!.length, 20);
  assert.equal(c.classNames![19], 'coarse19');
  const none = openSource(dir, { labels: 'none' });
  assert.equal(none.classNames, null);
  assert.deepEqual(items(none).map((g) => g.label), [null, null, null]);

  // Truncated: a record one byte short.
  writeFileSync(join(dir, 'test.bin'), Buffer.alloc(3074 * 2 - 1));
  assert.throws(() => openSource(dir, { split: 'test' }), /test\.bin: 6147 bytes is not a whole number of 3074-byte records/);
  // The archive's own subfolder is found from its parent.
  const parent = fresh('cifar100-parent');
  const sub = join(parent, 'cifar-100-binary');
  mkdirSync(sub);
  writeFileSync(join(sub, 'train.bin'), Buffer.concat([Buffer.of(1, 2), Buffer.alloc(3072)]));
  assert.deepEqual(detectFolder(parent), { format: 'cifar100', dir: sub });
  const out = join(fresh('c100-cache'), 'c');
  const r = await prepareCache(parent, { out, labels: 'coarse', ...quiet });
  assert.deepEqual(r.manifest.classCounts!.slice(0, 3), [0, 1, 0]);
  // Default labels are the fine ones: asking for 'fine' explicitly is the same cache.
  const outFine = join(fresh('c100-fine'), 'c');
  await prepareCache(parent, { out: outFine, ...quiet });
  assert.equal((await prepareCache(parent, { out: outFine, labels: 'fine', ...quiet })).reused, true);
  assert.throws(() => openSource(parent, { format: 'idx' }), /no IDX image files/);
  assert.throws(() => openSource(parent, { labels: 'coarse', format: 'images' }), /--labels coarse is for CIFAR-100/);
});

test('STL-10: column-major planes become row-major C x H x W; labels 1..10 become 0..9; unlabeled split', () => {
  const dir = fresh('stl');
  const n = 3;
  // The intended image: value at (c, y, x) = (c * 50 + y + 2 * x + i) mod 256.
  const want = (i: number) => {
    const a = new Uint8Array(3 * 96 * 96);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 96; y++) for (let x = 0; x < 96; x++) a[(c * 96 + y) * 96 + x] = (c * 50 + y + 2 * x + i) % 256;
    return a;
  };
  // As STL-10 stores it: for each channel, column after column (x outer, y inner).
  const stored = (i: number) => {
    const w = want(i);
    const a = new Uint8Array(3 * 96 * 96);
    let k = 0;
    for (let c = 0; c < 3; c++) for (let x = 0; x < 96; x++) for (let y = 0; y < 96; y++) a[k++] = w[(c * 96 + y) * 96 + x]!;
    return a;
  };
  writeFileSync(join(dir, 'train_X.bin'), Buffer.concat(Array.from({ length: n }, (_, i) => stored(i))));
  writeFileSync(join(dir, 'train_y.bin'), Buffer.of(1, 10, 4));
  writeFileSync(join(dir, 'unlabeled_X.bin'), Buffer.from(stored(7)));
  assert.equal(detectFolder(dir).format, 'stl10');
  const src = openSource(dir);
  assert.equal(src.count, 3);
  assert.equal(src.classNames![0], 'airplane');
  const got = items(src);
  assert.deepEqual(got.map((g) => g.label), [0, 9, 3]);
  for (let i = 0; i < n; i++) assert.deepEqual(got[i]!.pixels!.data, want(i), `image ${i}`);
  // A known pixel: channel 1, row 5, column 70 -> 50 + 5 + 140 + 0 = 195.
  assert.equal(got[0]!.pixels!.data[(1 * 96 + 5) * 96 + 70], 195);
  const u = openSource(dir, { split: 'unlabeled' });
  assert.equal(u.classNames, null);
  assert.deepEqual(items(u)[0]!.pixels!.data, want(7));

  writeFileSync(join(dir, 'train_y.bin'), Buffer.of(1, 2));
  assert.throws(() => openSource(dir), /train_y\.bin: 2 labels, but .*train_X\.bin holds 3 images/);
  writeFileSync(join(dir, 'train_y.bin'), Buffer.of(1, 0, 2));
  assert.throws(() => openSource(dir), /train_y\.bin: label 0 of image 1, expected 1\.\.10/);
  writeFileSync(join(dir, 'train_y.bin'), Buffer.of(1, 2, 3));
  truncateSync(join(dir, 'train_X.bin'), 3 * 27648 - 5);
  assert.throws(() => openSource(dir), /train_X\.bin: 82939 bytes is not a whole number of 27648-byte records/);
  assert.throws(() => openSource(dir, { split: 'test' }), /test_X\.bin: missing/);
});

/** An RGB image h x w whose pixel (y, x) is colour(y, x), as raw interleaved bytes. */
function rgb(h: number, w: number, colour: (y: number, x: number) => [number, number, number]): Buffer {
  const b = Buffer.alloc(h * w * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b.set(colour(y, x), (y * w + x) * 3);
  return b;
}

async function writeImage(path: string, raw: Buffer, h: number, w: number, format: 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff'): Promise<void> {
  let img = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  if (format === 'webp') img = img.webp({ lossless: true });
  else if (format === 'jpeg') img = img.jpeg({ quality: 95 });
  else if (format === 'tiff') img = img.tiff({ compression: 'lzw' }); // sharp's default TIFF compression is JPEG (lossy)
  else img = img[format]();
  await img.toFile(path);
}

const RED: [number, number, number] = [255, 0, 0];
const GREEN: [number, number, number] = [0, 255, 0];
const BLUE: [number, number, number] = [0, 0, 255];

test('image folder with class subfolders is labeled; every format decodes; non-images are ignored', async () => {
  const root = fresh('labeled');
  for (const c of ['zebra', 'ant', 'Bee']) mkdirSync(join(root, c));
  // 8 x 8 images, one colour with one distinct pixel at (2, 3).
  const img = (base: [number, number, number]) => rgb(8, 8, (y, x) => (y === 2 && x === 3 ? [10, 20, 30] : base));
  await writeImage(join(root, 'ant', 'b.png'), img(RED), 8, 8, 'png');
  await writeImage(join(root, 'ant', 'a.TIFF'), img(GREEN), 8, 8, 'tiff');
  await writeImage(join(root, 'Bee', 'c.webp'), img(BLUE), 8, 8, 'webp');
  await writeImage(join(root, 'zebra', 'd.jpg'), rgb(8, 8, () => [128, 128, 128]), 8, 8, 'jpeg');
  await writeImage(join(root, 'zebra', 'e.gif'), img(RED), 8, 8, 'gif');
  writeFileSync(join(root, 'zebra', 'notes.txt'), 'not an image');
  writeFileSync(join(root, '.hidden.png'), 'hidden files are ignored');

  const src = openSource(root);
  assert.equal(src.format, 'images');
  assert.deepEqual(src.classNames, ['Bee', 'ant', 'zebra'], 'sorted by code unit (upper case first)');
  assert.equal(src.ignoredFiles, 1);
  const got = items(src);
  assert.deepEqual(got.map((g) => g.path!.slice(root.length + 1)), ['Bee/c.webp', 'ant/a.TIFF', 'ant/b.png', 'zebra/d.jpg', 'zebra/e.gif']);
  assert.deepEqual(got.map((g) => g.label), [0, 1, 1, 2, 2]);

  const out = join(fresh('labeled-cache'), 'c');
  const r = await prepareCache(root, { out, size: 8, ...quiet });
  assert.equal(r.manifest.count, 5);
  assert.deepEqual(r.manifest.classCounts, [1, 2, 2]);
  assert.equal(r.manifest.ignoredFiles, 1);
  const c = openCache(out);
  const px = (i: number, ch: number, y: number, x: number) => c.readRange(i, 1)[(ch * 8 + y) * 8 + x]!;
  // Lossless formats come back exactly: the base colour and the marked pixel.
  const base = [BLUE, GREEN, RED];
  for (const i of [0, 1, 2]) {
    for (let ch = 0; ch < 3; ch++) {
      assert.equal(px(i, ch, 0, 0), base[i]![ch], `image ${i} channel ${ch}`);
      assert.equal(px(i, ch, 2, 3), [10, 20, 30][ch], `image ${i} marked pixel channel ${ch}`);
    }
  }
  // JPEG is lossy: grey within a few levels. GIF is palette-based: red stays red.
  for (let ch = 0; ch < 3; ch++) assert.ok(Math.abs(px(3, ch, 4, 4) - 128) <= 3);
  assert.deepEqual([px(4, 0, 0, 0), px(4, 1, 0, 0), px(4, 2, 0, 0)], RED);
  c.close();
});

test('image folder without a class level is unlabeled (images at the root, or nested deeper); --split picks a subfolder', async () => {
  const flat = fresh('flat');
  await writeImage(join(flat, 'a.png'), rgb(4, 4, () => RED), 4, 4, 'png');
  await writeImage(join(flat, 'b.png'), rgb(4, 4, () => GREEN), 4, 4, 'png');
  assert.equal(openSource(flat).classNames, null);

  const mixed = fresh('mixed');
  mkdirSync(join(mixed, 'x', 'y'), { recursive: true });
  mkdirSync(join(mixed, 'z'));
  await writeImage(join(mixed, 'z', 'a.png'), rgb(4, 4, () => RED), 4, 4, 'png');
  await writeImage(join(mixed, 'x', 'y', 'b.png'), rgb(4, 4, () => GREEN), 4, 4, 'png');
  const m = openSource(mixed);
  assert.equal(m.classNames, null, 'x/y/b.png is two levels down, so there are no classes');
  assert.deepEqual(items(m).map((g) => g.path!.slice(mixed.length + 1)), ['x/y/b.png', 'z/a.png']);

  // A labeled folder can be read without its labels.
  const lab = fresh('lab');
  mkdirSync(join(lab, 'train', 'cat'), { recursive: true });
  await writeImage(join(lab, 'train', 'cat', 'a.png'), rgb(4, 4, () => RED), 4, 4, 'png');
  assert.equal(openSource(lab).classNames, null, 'from the root, train/cat/a.png is two levels down');
  assert.deepEqual(openSource(lab, { split: 'train' }).classNames, ['cat']);
  assert.equal(openSource(lab, { split: 'train', labels: 'none' }).classNames, null);
  assert.throws(() => openSource(lab, { split: 'val' }), /no subfolder 'val' for --split \(subfolders: train\)/);

  const out = join(fresh('flat-cache'), 'c');
  const r = await prepareCache(flat, { out, size: 4, channels: 1, ...quiet });
  assert.equal(r.manifest.labelsFile, null);
  const c = openCache(out);
  assert.equal(c.labels, null);
  // Luma of pure red and pure green: round(0.299 * 255) = 76, round(0.587 * 255) = 150.
  assert.deepEqual([...c.readIndices([1, 0]).filter((_, i) => i % 16 === 0)], [150, 76]);
  c.close();
});

test('empty folders and folders without images are clear errors', () => {
  const empty = fresh('empty');
  assert.throws(() => openSource(empty), new RegExp(`${empty}: no images found \\(expected files ending in \\.jpg`));
  writeFileSync(join(empty, 'readme.md'), 'x');
  assert.throws(() => openSource(empty), /no images found .*1 other files ignored/);
  assert.throws(() => openSource(join(empty, 'missing')), /no such file or folder/);
});

test('a corrupt image among good ones is skipped, counted and listed (manifest and log), never aborting', async () => {
  const root = fresh('corrupt');
  mkdirSync(join(root, 'a'));
  mkdirSync(join(root, 'b'));
  await writeImage(join(root, 'a', '1.png'), rgb(6, 6, () => RED), 6, 6, 'png');
  const good = await sharp(rgb(6, 6, () => GREEN), { raw: { width: 6, height: 6, channels: 3 } }).jpeg().toBuffer();
  writeFileSync(join(root, 'a', '2.jpg'), good.subarray(0, good.length >> 1)); // truncated JPEG
  writeFileSync(join(root, 'b', '3.png'), 'this is not a PNG');
  await writeImage(join(root, 'b', '4.png'), rgb(6, 6, () => BLUE), 6, 6, 'png');
  const lines: string[] = [];
  const out = join(fresh('corrupt-cache'), 'c');
  const r = await prepareCache(root, { out, size: 6, log: (l) => lines.push(l), bar: false });
  assert.equal(r.manifest.count, 2);
  assert.equal(r.manifest.skipped.count, 2);
  assert.deepEqual(r.manifest.skipped.files.map((s) => s.path), [join(root, 'a', '2.jpg'), join(root, 'b', '3.png')]);
  for (const s of r.manifest.skipped.files) assert.ok(s.reason.length > 0);
  assert.deepEqual(r.manifest.classCounts, [1, 1]);
  const c = openCache(out);
  assert.deepEqual([...c.labels!], [0, 1]);
  assert.deepEqual([c.readRange(0, 1)[0], c.readRange(1, 1)[2 * 36]], [255, 255], 'red first, then blue');
  c.close();
  const log = lines.join('\n');
  assert.match(log, /skipped 2 unreadable images/);
  assert.ok(log.includes(join(root, 'a', '2.jpg')) && log.includes(join(root, 'b', '3.png')));

  // All images bad: an error, not an empty cache.
  const bad = fresh('all-bad');
  writeFileSync(join(bad, 'x.png'), 'nope');
  await assert.rejects(prepareCache(bad, { out: join(fresh('c'), 'c'), ...quiet }), /none of the 1 images could be decoded\n  .*x\.png/);
});

test('CSV list: header optional, paths relative to the CSV, integer or named labels, quoting, missing files skipped', async () => {
  const dir = fresh('csv');
  mkdirSync(join(dir, 'img'));
  await writeImage(join(dir, 'img', 'r.png'), rgb(5, 5, () => RED), 5, 5, 'png');
  await writeImage(join(dir, 'img', 'g,1.png'), rgb(5, 5, () => GREEN), 5, 5, 'png');
  const abs = join(dir, 'img', 'b.png');
  await writeImage(abs, rgb(5, 5, () => BLUE), 5, 5, 'png');

  writeFileSync(join(dir, 'named.csv'), `path,label\nimg/r.png,stop\n"img/g,1.png",go\n${abs},go\nimg/missing.png,stop\n`);
  const named = openSource(join(dir, 'named.csv'));
  assert.equal(named.format, 'csv');
  assert.deepEqual(named.classNames, ['go', 'stop']);
  assert.deepEqual(items(named).map((g) => [g.path, g.label]), [
    [join(dir, 'img', 'r.png'), 1],
    [join(dir, 'img', 'g,1.png'), 0],
    [abs, 0],
    [join(dir, 'img', 'missing.png'), 1],
  ]);
  const out = join(fresh('csv-cache'), 'c');
  const r = await prepareCache(join(dir, 'named.csv'), { out, size: 5, ...quiet });
  assert.equal(r.manifest.count, 3);
  assert.deepEqual(r.manifest.skipped.files.map((s) => s.path), [join(dir, 'img', 'missing.png')]);
  assert.match(r.manifest.skipped.files[0]!.reason, /ENOENT/);

  writeFileSync(join(dir, 'ints.csv'), 'img/r.png,2\nimg/r.png,0\n');
  const ints = openSource(join(dir, 'ints.csv'));
  assert.deepEqual(ints.classNames, ['0', '1', '2']);
  assert.deepEqual(items(ints).map((g) => g.label), [2, 0]);

  writeFileSync(join(dir, 'paths.csv'), 'file\nimg/r.png\nimg/b.png\n');
  const paths = openSource(join(dir, 'paths.csv'));
  assert.equal(paths.classNames, null);
  assert.equal(paths.count, 2);

  writeFileSync(join(dir, 'mixed.csv'), 'img/r.png,1\nimg/b.png\n');
  assert.throws(() => openSource(join(dir, 'mixed.csv')), /mixed\.csv:2: 1 field\(s\), but earlier lines have 2/);
  writeFileSync(join(dir, 'empty.csv'), 'path,label\n\n');
  assert.throws(() => openSource(join(dir, 'empty.csv')), /empty\.csv: no image lines/);
  writeFileSync(join(dir, 'binary.csv'), Buffer.of(0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2));
  assert.throws(() => openSource(join(dir, 'binary.csv')), /binary\.csv: not a CSV list \(binary data\)/);
  assert.throws(() => openSource(join(dir, 'img', 'r.png')), /r\.png: not a CSV list/);

  assert.deepEqual(parseCsvLine('a,"b ""q"", c",', 'x'), ['a', 'b "q", c', '']);
  assert.throws(() => parseCsvLine('"abc', 'f.csv:3'), /f\.csv:3: unterminated quoted field/);
  assert.ok(statSync(out).isDirectory());
});
