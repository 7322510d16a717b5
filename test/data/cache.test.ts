// The decoded image cache: size and channel rules on constructed images, shards and the reader,
// statistics, re-runs, interrupted runs, the real Fashion-MNIST test split, and the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  chooseFit, padTo, toChannels, fitPixels, fitFile, openCache, openCacheShared, prepareCache, readManifest, writeSampleGrid,
  MANIFEST_FILE, type ImageCache,
} from '../../src/data/cache/index.js';
import { readIdx } from '../../src/data/idx.js';
import { FASHION_MNIST_DIR } from '../../src/data/fashion_mnist.js';
import { randomBytes } from '../helpers/random.js';
import { tempFolders } from '../helpers/tmp.js';
import { idxFile } from '../helpers/idx.js';
import { selfsup } from '../helpers/cli.js';

const fresh = tempFolders('cache');
const quiet = { quiet: true } as const;

/** An IDX folder with n random side x side images and labels i mod k; returns the raw bytes. */
function idxFolder(n: number, side: number, k: number, seed: number): { dir: string; images: Uint8Array; labels: number[] } {
  const dir = fresh('idx');
  const images = randomBytes(n * side * side, seed);
  const labels = Array.from({ length: n }, (_, i) => i % k);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxFile([n, side, side], images));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxFile([n], Uint8Array.from(labels)));
  return { dir, images, labels };
}

test('size rule: identity, pad within 7N/8..N, otherwise resize and centre crop', () => {
  assert.equal(chooseFit(32, 32, 32), 'identity');
  assert.equal(chooseFit(28, 28, 32), 'pad');
  assert.equal(chooseFit(28, 32, 32), 'pad');
  assert.equal(chooseFit(27, 28, 32), 'resize', '27 < 28 = 7 * 32 / 8');
  assert.equal(chooseFit(33, 32, 32), 'resize', 'never cropped without resizing');
  assert.equal(chooseFit(96, 96, 32), 'resize');
  assert.equal(chooseFit(16, 16, 32), 'resize', 'far smaller: upscaled');
});

test('padding 28 -> 32 moves a known pixel by 2 and fills with zeros', async () => {
  const data = new Uint8Array(28 * 28);
  data[0] = 200; // (0, 0)
  data[27 * 28 + 27] = 100; // (27, 27)
  data[5 * 28 + 9] = 50; // (5, 9)
  const { data: out, fit } = await fitPixels({ data, channels: 1, height: 28, width: 28 }, 32, 1);
  assert.equal(fit, 'pad');
  assert.equal(out.length, 32 * 32);
  assert.equal(out[2 * 32 + 2], 200);
  assert.equal(out[29 * 32 + 29], 100);
  assert.equal(out[7 * 32 + 11], 50);
  assert.equal(out.reduce((a, b) => a + b, 0), 350, 'everything else is zero');
  // Odd padding: 7 x 6 -> 8 puts the extra column on the right, the extra row at the bottom.
  const p = padTo({ data: new Uint8Array(42).fill(9), channels: 1, height: 7, width: 6 }, 8);
  const row = (y: number) => [...p.data.subarray(y * 8, y * 8 + 8)];
  assert.deepEqual(row(0), [0, 9, 9, 9, 9, 9, 9, 0]);
  assert.deepEqual(row(7), [0, 0, 0, 0, 0, 0, 0, 0]);
});

/** Three vertical bands (red, green, blue) of equal width across a wide image, C x H x W. */
function bands(h: number, w: number): Uint8Array {
  const a = new Uint8Array(3 * h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) a[(Math.floor((3 * x) / w) * h + y) * w + x] = 255;
  return a;
}

test('resize: shorter side to N then the centre N x N (wide and tall images, pixels and files)', async () => {
  // 32 x 96 -> shorter side 16 -> 16 x 48 -> centre 16 columns = the middle (green) band.
  const wide = await fitPixels({ data: bands(32, 96), channels: 3, height: 32, width: 96 }, 16, 3);
  assert.equal(wide.fit, 'resize');
  assert.equal(wide.data.length, 3 * 16 * 16);
  for (let y = 0; y < 16; y++) {
    for (let x = 2; x < 14; x++) {
      const px = [0, 1, 2].map((c) => wide.data[(c * 16 + y) * 16 + x]!);
      assert.ok(px[0]! <= 3 && px[1]! >= 252 && px[2]! <= 3, `(${y}, ${x}) should be green, got ${px}`);
    }
  }
  // The same through a PNG file of the transposed (tall) picture: horizontal bands, middle one kept.
  const tallHwc = Buffer.alloc(96 * 32 * 3);
  for (let y = 0; y < 96; y++) for (let x = 0; x < 32; x++) tallHwc[(y * 32 + x) * 3 + Math.floor(y / 32)] = 255;
  const file = join(fresh('tall'), 'tall.png');
  await sharp(tallHwc, { raw: { width: 32, height: 96, channels: 3 } }).png().toFile(file);
  const tall = await fitFile(file, 16, 3);
  assert.equal(tall.fit, 'resize');
  for (let y = 2; y < 14; y++) for (let x = 0; x < 16; x++) assert.ok(tall.data[(1 * 16 + y) * 16 + x]! >= 252 && tall.data[y * 16 + x]! <= 3);
  // Greyscale output of the tall file: green's luma, round(0.587 * 255) = 150 (within resampling error).
  const grey = await fitFile(file, 16, 1);
  assert.equal(grey.data.length, 256);
  assert.ok(Math.abs(grey.data[8 * 16 + 8]! - 150) <= 1);
  // One-channel images stay one channel through resizing, and a flat image stays flat.
  const flat = await fitPixels({ data: new Uint8Array(40 * 40).fill(9), channels: 1, height: 40, width: 40 }, 32, 1);
  assert.equal(flat.fit, 'resize');
  assert.deepEqual(flat.data, new Uint8Array(32 * 32).fill(9));
  // A greyscale PNG decodes to its exact values (no colour-space change).
  const ramp = Uint8Array.from({ length: 256 }, (_, i) => i);
  const rampFile = join(fresh('ramp'), 'ramp.png');
  await sharp(ramp, { raw: { width: 16, height: 16, channels: 1 } }).toColourspace('b-w').png().toFile(rampFile);
  assert.deepEqual((await fitFile(rampFile, 16, 1)).data, ramp);
  const rampRgb = (await fitFile(rampFile, 16, 3)).data;
  for (let c = 0; c < 3; c++) assert.deepEqual(rampRgb.subarray(c * 256, (c + 1) * 256), ramp);
});

test('channels: BT.601 luma for 3 -> 1, repetition for 1 -> 3, alpha dropped', () => {
  const rgb = { data: Uint8Array.of(255, 0, 10, /* G */ 0, 255, 20, /* B */ 0, 0, 30), channels: 3, height: 1, width: 3 };
  // round(0.299 * 255) = 76, round(0.587 * 255) = 150, 0.299*10 + 0.587*20 + 0.114*30 = 18.09 -> 18
  assert.deepEqual([...toChannels(rgb, 1).data], [76, 150, 18]);
  assert.deepEqual([...toChannels({ data: Uint8Array.of(7, 8), channels: 1, height: 1, width: 2 }, 3).data], [7, 8, 7, 8, 7, 8]);
  assert.deepEqual([...toChannels({ data: Uint8Array.of(1, 2, 3, 4), channels: 4, height: 1, width: 1 }, 3).data], [1, 2, 3]);
});

test('EXIF orientation is applied before anything else', async () => {
  // Stored 4 x 4 with a marker at the top-left; orientation 6 means "rotate 90 degrees clockwise to show".
  const raw = Buffer.alloc(16 * 3, 0);
  raw.set([255, 255, 255], 0);
  const file = join(fresh('exif'), 'o.jpg');
  await sharp(raw, { raw: { width: 4, height: 4, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toFile(file);
  assert.equal((await sharp(file).metadata()).orientation, 6);
  const r = await fitFile(file, 4, 1);
  assert.equal(r.fit, 'identity');
  assert.ok(r.data[3]! > 128, `the marker is shown at the top-right, got row 0 = ${[...r.data.subarray(0, 4)]}`);
  assert.ok(r.data[0]! < 128);
});

test('shards, ranges across shards, gathers, memory mode, tensors, worker recipes, and exact statistics', async () => {
  const n = 37;
  const { dir, images, labels } = idxFolder(n, 5, 4, 11);
  const out = join(fresh('shards'), 'c');
  const r = await prepareCache(dir, { out, size: 5, shardBytes: 10 * 25 + 7, ...quiet });
  assert.deepEqual(r.manifest.shards.map((s) => s.count), [10, 10, 10, 7]);
  assert.deepEqual(readdirSync(out).sort(), ['images-00000.u8', 'images-00001.u8', 'images-00002.u8', 'images-00003.u8', 'labels.i32', MANIFEST_FILE]);
  // Mean and population std of all bytes, computed here directly.
  let s = 0;
  for (const v of images) s += v;
  const mean = s / images.length;
  let ss = 0;
  for (const v of images) ss += (v - mean) ** 2;
  assert.ok(Math.abs(r.manifest.mean[0]! - mean / 255) < 1e-12);
  assert.ok(Math.abs(r.manifest.std[0]! - Math.sqrt(ss / images.length) / 255) < 1e-12);
  assert.deepEqual(r.manifest.classCounts, [10, 9, 9, 9]);

  const img = (i: number) => images.subarray(i * 25, (i + 1) * 25);
  const gather = (idx: number[]) => {
    const o = new Uint8Array(idx.length * 25);
    idx.forEach((i, k) => o.set(img(i), k * 25));
    return o;
  };
  const check = (c: ImageCache, what: string) => {
    assert.equal(c.count, n);
    assert.deepEqual([...c.shape], [1, 5, 5]);
    assert.deepEqual([...c.labels!], labels, what);
    assert.deepEqual(c.readRange(8, 15), images.slice(8 * 25, 23 * 25), `${what}: range across 2 shard boundaries`);
    assert.deepEqual(c.readRange(36, 1), img(36));
    assert.equal(c.readRange(5, 0).length, 0);
    const idx = [36, 0, 0, 11, 12, 13, 9, 10, 29, 30];
    assert.deepEqual(c.readIndices(idx), gather(idx), `${what}: gather`);
    assert.deepEqual(c.readIndices(Int32Array.from(idx)), gather(idx));
    assert.throws(() => c.readIndices([37]), /index 37 out of range \[0, 37\)/);
    assert.throws(() => c.readIndices([-1]), /index -1 out of range/);
    assert.throws(() => c.readRange(30, 8), /range \[30, 38\) outside \[0, 37\)/);
    assert.deepEqual(c.readAll(), images);
  };
  const disk = openCache(out);
  check(disk, 'disk');
  const t = disk.toTensor();
  assert.deepEqual(t.shape, [n, 1, 5, 5]);
  assert.equal(t.dtype, 'uint8');
  assert.deepEqual(new Uint8Array(t.data() as Uint8Array), images);
  t.dispose();

  // A worker opens the same cache from the recipe.
  const recipe = disk.workerRecipe;
  const opened = (await import(recipe.module))[recipe.fn](...recipe.args) as ImageCache;
  check(opened, 'from recipe');
  opened.close();
  disk.close();
  assert.throws(() => disk.readRange(0, 1), /already closed/);

  const mem = openCache(out, { memory: true });
  check(mem, 'memory');
  assert.equal(mem.workerRecipe.fn, 'openCacheShared');
  const shared = openCacheShared(...(mem.workerRecipe.args as [string, SharedArrayBuffer]));
  check(shared, 'shared');
});

test('reader errors: no manifest, damaged shard, wrong label file size, unknown version', async () => {
  const { dir } = idxFolder(6, 4, 2, 3);
  const out = join(fresh('damaged'), 'c');
  await prepareCache(dir, { out, size: 4, ...quiet });
  assert.throws(() => openCache(fresh('nothing')), /not a prepared cache \(no manifest\.json/);
  truncateSync(join(out, 'images-00000.u8'), 6 * 16 - 1);
  assert.throws(() => openCache(out), /images-00000\.u8: 95 bytes, expected 96 \(6 images of \[1, 4, 4\]\)/);
  await prepareCache(dir, { out, size: 4, force: true, ...quiet });
  truncateSync(join(out, 'labels.i32'), 20);
  assert.throws(() => openCache(out), /labels\.i32: 20 bytes, expected 24/);
  await prepareCache(dir, { out, size: 4, force: true, ...quiet });
  const m = JSON.parse(readFileSync(join(out, MANIFEST_FILE), 'utf8'));
  writeFileSync(join(out, MANIFEST_FILE), JSON.stringify({ ...m, version: 99 }));
  assert.throws(() => openCache(out), /version 99 unsupported, expected 1/);
  writeFileSync(join(out, MANIFEST_FILE), '{"format": "selfsup-image-cache", ');
  assert.throws(() => readManifest(out), /manifest\.json: not valid JSON/);
});

test('running prepare again is a no-op; other options need --force; other folders are not overwritten', async () => {
  const { dir } = idxFolder(12, 6, 3, 5);
  const out = join(fresh('rerun'), 'c');
  const first = await prepareCache(dir, { out, size: 8, ...quiet });
  assert.equal(first.reused, false);
  const mtime = statSync(join(out, 'images-00000.u8')).mtimeMs;
  const again = await prepareCache(dir, { out, size: 8, ...quiet });
  assert.equal(again.reused, true);
  assert.equal(again.manifest.created, first.manifest.created);
  assert.equal(statSync(join(out, 'images-00000.u8')).mtimeMs, mtime, 'nothing rewritten');

  await assert.rejects(prepareCache(dir, { out, size: 6, ...quiet }), (e: Error) => {
    assert.match(e.message, /holds a cache prepared with other options/);
    assert.match(e.message, /there: .*size 8/);
    assert.match(e.message, /requested: .*size 6/);
    assert.match(e.message, /--force/);
    return true;
  });
  await assert.rejects(prepareCache(dir, { out, size: 8, channels: 3, ...quiet }), /other options/);
  const forced = await prepareCache(dir, { out, size: 6, force: true, ...quiet });
  assert.equal(forced.reused, false);
  assert.deepEqual(openCache(out).shape, [1, 6, 6]);

  const other = fresh('other');
  writeFileSync(join(other, 'precious.txt'), 'keep me');
  await assert.rejects(prepareCache(dir, { out: other, ...quiet }), /exists, is not empty and is not a cache; use --force/);
  assert.ok(existsSync(join(other, 'precious.txt')));
  const emptyOut = fresh('empty-out');
  assert.equal((await prepareCache(dir, { out: emptyOut, size: 6, ...quiet })).manifest.count, 12);
});

test('an interrupted prepare leaves no complete-looking cache, and an old cache survives a failed --force', async () => {
  const { dir } = idxFolder(40, 4, 2, 9);
  const parent = fresh('interrupt');
  const out = join(parent, 'c');
  const fail = (at: number) => (i: number) => {
    if (i === at) throw new Error('injected failure');
  };
  await assert.rejects(prepareCache(dir, { out, size: 4, shardBytes: 64, onImage: fail(20), ...quiet }), /injected failure/);
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(parent), [], 'the temporary folder is removed too');

  await prepareCache(dir, { out, size: 4, ...quiet });
  const before = readFileSync(join(out, MANIFEST_FILE), 'utf8');
  await assert.rejects(prepareCache(dir, { out, size: 5, force: true, onImage: fail(3), ...quiet }), /injected failure/);
  assert.equal(readFileSync(join(out, MANIFEST_FILE), 'utf8'), before);
  assert.deepEqual(openCache(out).shape, [1, 4, 4]);
  assert.deepEqual(readdirSync(parent), ['c']);
});

test('a prepare killed mid-run leaves only a temporary folder, which the next run removes', async () => {
  const { dir } = idxFolder(200, 4, 2, 13);
  const parent = fresh('killed');
  const out = join(parent, 'c');
  const marker = join(fresh('marker'), 'm');
  const cacheModule = new URL('../../src/data/cache/index.js', import.meta.url).href;
  // The child writes some images, tells us, and then hangs until killed.
  const script = `
    import { writeFileSync } from 'node:fs';
    const { prepareCache } = await import(${JSON.stringify(cacheModule)});
    await prepareCache(${JSON.stringify(dir)}, { out: ${JSON.stringify(out)}, size: 4, shardBytes: 160, quiet: true, onImage(i) {
      if (i === 100) { writeFileSync(${JSON.stringify(marker)}, 'x'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); }
    } });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  const exited = new Promise((res) => child.on('exit', res));
  const t0 = Date.now();
  while (!existsSync(marker)) {
    assert.ok(Date.now() - t0 < 20000, 'child never reached image 100');
    await new Promise((res) => setTimeout(res, 20));
  }
  child.kill('SIGKILL');
  await exited;
  assert.equal(existsSync(out), false, 'no cache folder');
  const left = readdirSync(parent);
  assert.equal(left.length, 1);
  assert.match(left[0]!, /^c\.tmp-\d+-[0-9a-f]+$/);
  assert.ok(readdirSync(join(parent, left[0]!)).some((f) => f.startsWith('images-')), 'shards were being written');
  assert.equal(existsSync(join(parent, left[0]!, MANIFEST_FILE)), false);

  const logs: string[] = [];
  const r = await prepareCache(dir, { out, size: 4, log: (l) => logs.push(l), bar: false });
  assert.equal(r.manifest.count, 200);
  assert.deepEqual(readdirSync(parent), ['c']);
  assert.ok(logs.some((l) => l.includes(left[0]!) && l.includes('interrupted')));
});

test('the real Fashion-MNIST test split: counts, classes, statistics, padding', async () => {
  const out28 = join(fresh('fm'), 'c28');
  const r28 = await prepareCache('fashion-mnist', { out: out28, split: 'test', size: 28, ...quiet });
  const m = r28.manifest;
  assert.equal(m.count, 10000);
  assert.deepEqual(m.shape, [1, 28, 28]);
  assert.deepEqual(m.classCounts, new Array(10).fill(1000));
  assert.equal(m.classNames![9], 'Ankle boot');
  assert.equal(m.fit.identity, 10000);
  assert.ok(Math.abs(m.mean[0]! - 0.286) < 0.002, `mean ${m.mean[0]}`);
  assert.ok(Math.abs(m.std[0]! - 0.353) < 0.002, `std ${m.std[0]}`);

  const out = join(fresh('fm'), 'c');
  const r = await prepareCache('fashion-mnist', { out, split: 'test', ...quiet });
  assert.deepEqual(r.manifest.shape, [1, 32, 32], 'default size 32');
  assert.equal(r.manifest.fit.pad, 10000);
  // Zero padding keeps the pixel sum: the mean scales by 784 / 1024 exactly.
  assert.ok(Math.abs(r.manifest.mean[0]! - (m.mean[0]! * 784) / 1024) < 1e-12);
  const raw = readIdx(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz')).data;
  const c = openCache(out);
  const last = c.readRange(9999, 1);
  for (let y = 0; y < 28; y++) {
    assert.deepEqual(last.subarray((y + 2) * 32 + 2, (y + 2) * 32 + 30), raw.subarray(9999 * 784 + y * 28, 9999 * 784 + (y + 1) * 28));
  }
  const labels = readIdx(join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz')).data;
  assert.deepEqual(c.labels, Int32Array.from(labels));
  c.close();
});

test('CLI: data prepare, no-op rerun, option clash, data info with --json and the sample grid', async () => {
  const { dir, images } = idxFolder(30, 8, 3, 21);
  const out = join(fresh('cli'), 'c');
  const run = (...args: string[]) => selfsup(['data', ...args]);
  let p = run('prepare', dir, '--out', out, '--size', '8');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /images +30 x \[1, 8, 8\] uint8 in 1 shard/);
  assert.match(p.stderr, /prepare .*30\/30/);
  p = run('prepare', dir, '--out', out, '--size', '8');
  assert.equal(p.status, 0);
  assert.match(p.stdout, /already prepared with these options \(30 images\); nothing to do/);
  p = run('prepare', dir, '--out', out, '--size', '9');
  assert.equal(p.status, 1);
  assert.match(p.stderr, /selfsup: --out .*: holds a cache prepared with other options/);
  p = run('prepare', dir, '--out', out, '--channels', '2');
  assert.notEqual(p.status, 0);
  assert.match(p.stderr, /--channels/);

  p = run('info', out, '--json');
  assert.equal(p.status, 0, p.stderr);
  const manifest = JSON.parse(p.stdout);
  assert.equal(manifest.count, 30);
  assert.deepEqual(manifest.classNames, ['0', '1', '2']);
  assert.match(p.stderr, /samples\.png/);
  // The grid: one row per class, first 8 images of that class; 8 px tiles enlarged 8x, 2 px gaps.
  const png = join(out, 'samples.png');
  assert.equal((await sharp(png).metadata()).channels, 1, 'a greyscale PNG for a 1-channel cache');
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [2 + 8 * 66, 2 + 3 * 66, 1]);
  const at = (x: number, y: number) => data[y * info.width + x]!;
  // Row 1 (class 1), column 2 is image 7 (labels i mod 3: 1, 4, 7, ...); its pixel (3, 5) is at
  // x = 2 + 2*66 + 5*8, y = 2 + 66 + 3*8.
  assert.equal(at(2 + 2 * 66 + 5 * 8 + 4, 2 + 66 + 3 * 8 + 4), images[7 * 64 + 3 * 8 + 5]);
  assert.equal(at(0, 0), 48, 'background');
  p = run('info', out, '--out', join(out, '..', 'grid.png'));
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /labels +3 classes: 0 10, 1 10, 2 10/);
  assert.ok(existsSync(join(out, '..', 'grid.png')));
  p = run('info', join(out, '..'));
  assert.equal(p.status, 1);
  assert.match(p.stderr, /not a prepared cache/);
});

test('sample grid of an unlabeled cache: 8 x 8 images evenly spaced, 3 channels', async () => {
  const dir = fresh('grid');
  // 100 images 4 x 4 x 3 (idx4), image i filled with (i, 2i mod 256, 255 - i).
  const n = 100;
  const hwc = new Uint8Array(n * 48);
  for (let i = 0; i < n; i++) for (let p = 0; p < 16; p++) hwc.set([i, (2 * i) % 256, 255 - i], i * 48 + p * 3);
  writeFileSync(join(dir, 'all-images-idx4-ubyte'), idxFile([n, 4, 4, 3], hwc));
  const out = join(fresh('grid-cache'), 'c');
  await prepareCache(dir, { out, size: 4, ...quiet });
  const cache = openCache(out);
  assert.equal(cache.labels, null);
  const png = join(out, 'grid.png');
  const g = await writeSampleGrid(cache, png);
  assert.equal(g.rowClasses, null);
  assert.deepEqual(g.rows.flat(), Array.from({ length: 64 }, (_, j) => Math.floor((j * 100) / 64)));
  // 4 px tiles enlarged 16x to 64 px, 2 px gaps.
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [2 + 8 * 66, 2 + 8 * 66, 3]);
  const tile = (r: number, c: number) => [...data.subarray(((2 + r * 66 + 30) * info.width + 2 + c * 66 + 30) * 3, ((2 + r * 66 + 30) * info.width + 2 + c * 66 + 30) * 3 + 3)];
  const i = Math.floor((61 * 100) / 64); // row 7, column 5
  assert.deepEqual(tile(7, 5), [i, (2 * i) % 256, 255 - i]);
  cache.close();
});
