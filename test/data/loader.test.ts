import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dispose, memory, tidy } from '../../src/engine/index.js';
import { Compose, RandomCrop, RandomHorizontalFlip, Normalize } from '../../src/data/augment/index.js';
import { Loader, memorySource, toShared, trainValSplit, type Batch, type ImageSource } from '../../src/data/loader/index.js';

// Image i of the test source: [1, 4, 4] bytes, pixel 0 = i % 256, pixel 1 = i >> 8, the rest a pattern.
function makeSource(count: number, labels: ArrayLike<number> | null = null, shared = false): ImageSource {
  const per = 16;
  const bytes = new Uint8Array(count * per);
  for (let i = 0; i < count; i++) {
    bytes[i * per] = i & 255;
    bytes[i * per + 1] = i >> 8;
    for (let k = 2; k < per; k++) bytes[i * per + k] = (i * 7 + k * 13) & 255;
  }
  return memorySource(shared ? toShared(bytes) : bytes, [1, 4, 4], labels);
}

async function collect(gen: AsyncGenerator<Batch>): Promise<{ indices: number[][]; images: number[][]; labels: number[][]; pos: string[] }> {
  const out = { indices: [] as number[][], images: [] as number[][], labels: [] as number[][], pos: [] as string[] };
  for await (const b of gen) {
    out.indices.push(Array.from(b.indices));
    out.images.push(Array.from(b.images.data() as ArrayLike<number>));
    out.labels.push(b.labels ? Array.from(b.labels.data() as BigInt64Array, Number) : []);
    out.pos.push(`${b.epoch}:${b.batch}`);
    dispose(b);
  }
  return out;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('an epoch covers every index exactly once; the last batch holds the remainder', async () => {
  const src = makeSource(103);
  const ld = new Loader(src, { batchSize: 10, seed: 3, prefetch: false });
  assert.equal(ld.batchesPerEpoch, 11);
  const { indices } = await collect(ld.epoch(0));
  assert.deepEqual(indices.map((b) => b.length), [...Array(10).fill(10), 3]);
  assert.deepEqual(indices.flat().sort((a, b) => a - b), range(103));
  assert.notDeepEqual(indices.flat(), range(103), 'shuffled order expected');
  const plain = await collect(new Loader(src, { batchSize: 10, shuffle: false, prefetch: false }).epoch(0));
  assert.deepEqual(plain.indices.flat(), range(103));
});

test('drop-last drops the remainder', async () => {
  const ld = new Loader(makeSource(103), { batchSize: 10, seed: 3, dropLast: true, prefetch: false });
  assert.equal(ld.batchesPerEpoch, 10);
  const { indices } = await collect(ld.epoch(0));
  assert.equal(indices.length, 10);
  assert.ok(indices.every((b) => b.length === 10));
  assert.equal(new Set(indices.flat()).size, 100);
});

test('order depends only on seed and epoch', () => {
  const src = makeSource(50);
  const order = (seed: number, epoch: number) => {
    const ld = new Loader(src, { batchSize: 7, seed, prefetch: false });
    return range(ld.batchesPerEpoch).flatMap((b) => Array.from(ld.batchIndices(epoch, b)));
  };
  assert.deepEqual(order(1, 0), order(1, 0));
  assert.deepEqual(order(1, 2), order(1, 2));
  assert.notDeepEqual(order(1, 0), order(1, 1));
  assert.notDeepEqual(order(1, 0), order(2, 0));
});

test('batches carry the images and labels of their indices, as uint8 or float / 255', async () => {
  const labels = range(40).map((i) => (i * 3) % 5);
  const src = makeSource(40, labels);
  const raw = new Loader(src, { batchSize: 8, seed: 1, dtype: 'uint8', prefetch: false });
  const fl = new Loader(src, { batchSize: 8, seed: 1, prefetch: false });
  const a = raw.batch(0, 2);
  const b = fl.batch(0, 2);
  assert.deepEqual(a.images.shape, [8, 1, 4, 4]);
  assert.equal(a.images.dtype, 'uint8');
  assert.equal(b.images.dtype, 'float32');
  assert.equal(a.labels!.dtype, 'int64');
  const bytes = a.images.data() as Uint8Array;
  const floats = b.images.data() as Float32Array;
  const want = src.readIndices(a.indices);
  assert.deepEqual(bytes, want);
  for (let k = 0; k < 8; k++) {
    const i = a.indices[k]!;
    assert.equal(bytes[k * 16]! + 256 * bytes[k * 16 + 1]!, i);
    assert.equal(Number((a.labels!.data() as BigInt64Array)[k]), labels[i]);
  }
  for (let k = 0; k < floats.length; k++) assert.ok(Math.abs(floats[k]! - want[k]! / 255) < 1e-7);
  assert.equal(new Loader(makeSource(4), { batchSize: 2, prefetch: false }).batch(0, 0).labels, null);
  dispose([a, b]);
});

test('train/validation split by seed is disjoint and covering', async () => {
  const { train, val } = trainValSplit(1000, { valFraction: 0.2, seed: 5 });
  assert.equal(val.length, 200);
  assert.equal(train.length, 800);
  const all = [...train, ...val].sort((a, b) => a - b);
  assert.deepEqual(all, range(1000));
  assert.deepEqual(trainValSplit(1000, { valFraction: 0.2, seed: 5 }).val, val);
  assert.notDeepEqual(trainValSplit(1000, { valFraction: 0.2, seed: 6 }).val, val);
  assert.equal(trainValSplit(10, { valCount: 3 }).val.length, 3);
  assert.throws(() => trainValSplit(10, { valFraction: 1.5 }), /valFraction must be in \[0, 1\]/);
  // A loader over one side visits exactly that side.
  const ld = new Loader(makeSource(1000), { batchSize: 64, indices: val, seed: 2, prefetch: false });
  const { indices } = await collect(ld.epoch(0));
  assert.deepEqual(indices.flat().sort((a, b) => a - b), Array.from(val));
});

test('class-balanced sampling gives roughly uniform class counts on imbalanced labels', () => {
  // Classes 0..3 with 900, 90, 9 and 1 images; classes 4 and 5 are empty (labels 6 exists once).
  const labels: number[] = [];
  for (const [k, n] of [[0, 900], [1, 90], [2, 9], [3, 1], [6, 1]] as const) for (let i = 0; i < n; i++) labels.push(k);
  const ld = new Loader(makeSource(labels.length, labels), { batchSize: 50, seed: 1, balanced: true, prefetch: false });
  assert.equal(ld.batchesPerEpoch, Math.ceil(1001 / 50));
  const counts = new Map<number, number>();
  let total = 0;
  for (let e = 0; e < 3; e++) {
    for (let b = 0; b < ld.batchesPerEpoch; b++) {
      const idx = ld.batchIndices(e, b);
      assert.equal(idx.length, 50);
      for (const i of idx) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1), total++;
    }
  }
  assert.deepEqual([...counts.keys()].sort(), [0, 1, 2, 3, 6]);
  for (const [k, c] of counts) assert.ok(Math.abs(c / total - 0.2) < 0.03, `class ${k}: ${c} of ${total}`);
  // Pseudo-labels passed to the loader replace the source's labels.
  const pseudo = labels.map((_, i) => (i < 1000 ? 0 : 1));
  const lp = new Loader(makeSource(labels.length, labels), { batchSize: 100, seed: 1, balanced: true, labels: pseudo, prefetch: false });
  const idx = lp.batchIndices(0, 0);
  const ones = Array.from(idx).filter((i) => i === 1000).length;
  assert.ok(ones > 30 && ones < 70, `the single image of class 1 drawn ${ones} of 100 times`);
  const b = lp.batch(0, 0);
  assert.deepEqual(Array.from(b.labels!.data() as BigInt64Array, Number), Array.from(idx, (i) => pseudo[i]));
  dispose(b);
  assert.throws(() => new Loader(makeSource(5), { batchSize: 2, balanced: true }), /balanced sampling needs labels/);
});

test('resuming from (epoch, batch) yields the same batches as an uninterrupted run', async () => {
  const transform = new Compose([new RandomCrop(4, { padding: 1 }), new RandomHorizontalFlip(), new Normalize(0.5, 0.25)]);
  for (const prefetch of [false, true]) {
    const opts = { batchSize: 8, seed: 11, transform, prefetch };
    const full = new Loader(makeSource(60, range(60).map((i) => i % 3), prefetch), opts);
    const whole = await collect(full.batches({ epoch: 0, batch: 0 }, 3));
    assert.equal(whole.pos.length, 3 * 8);
    assert.equal(full.prefetching, prefetch);
    const resumed = new Loader(makeSource(60, range(60).map((i) => i % 3), prefetch), opts);
    const rest = await collect(resumed.batches({ epoch: 1, batch: 5 }, 3));
    const from = 8 + 5;
    assert.deepEqual(rest.pos, whole.pos.slice(from));
    assert.deepEqual(rest.indices, whole.indices.slice(from));
    assert.deepEqual(rest.images, whole.images.slice(from));
    assert.deepEqual(rest.labels, whole.labels.slice(from));
    // Random access gives the same batch too.
    const one = tidy(() => Array.from(resumed.batch(2, 3).images.data() as Float32Array));
    assert.deepEqual(one, whole.images[16 + 3]);
    // An epoch's own generator resumes within the epoch.
    const e1 = await collect(resumed.epoch(1, 6));
    assert.deepEqual(e1.indices, whole.indices.slice(8 + 6, 16));
    await Promise.all([full.close(), resumed.close()]);
  }
});

test('the worker prefetcher gives the same batches as the main thread, and reports failures', async () => {
  const main = new Loader(makeSource(30, null, false), { batchSize: 4, seed: 2, dtype: 'uint8' });
  const worker = new Loader(makeSource(30, null, true), { batchSize: 4, seed: 2, dtype: 'uint8' });
  assert.equal(main.prefetching, false);
  assert.equal(worker.prefetching, true);
  assert.deepEqual(await collect(worker.batches({}, 2)), await collect(main.batches({}, 2)));
  // Leaving a generator early is fine.
  for await (const b of worker.epoch(0)) {
    dispose(b);
    break;
  }
  await worker.close();
  const src = makeSource(10);
  const broken: ImageSource = { ...src, readIndices: src.readIndices, workerRecipe: { module: src.workerRecipe?.module ?? new URL('../../src/data/loader/source.js', import.meta.url).href, fn: 'noSuchExport', args: [] } };
  const bad = new Loader(broken, { batchSize: 4, prefetch: true });
  await assert.rejects(collect(bad.epoch(0)), /exports no function 'noSuchExport'/);
  await bad.close();
  assert.throws(() => new Loader(makeSource(10), { batchSize: 4, prefetch: true }), /prefetch needs a source a worker can open/);
});

test('a prefetching loader left open does not keep the process alive, nor let it exit mid-read or mid-close', () => {
  const url = new URL('../../src/data/loader/index.js', import.meta.url).href;
  const script = `
    import { memorySource, toShared, Loader } from '${url}';
    const ld = new Loader(memorySource(toShared(new Uint8Array(100 * 16)), [1, 4, 4]), { batchSize: 8, dtype: 'uint8' });
    let n = 0;
    for await (const b of ld.batches({}, 2)) { b.images.dispose(); n++; }
    console.log('batches', n, ld.prefetching);
    // Closing right after leaving a loop early: a read is still in flight while the worker stops.
    for (let k = 0; k < 10; k++) {
      const l = new Loader(memorySource(toShared(new Uint8Array(100 * 16)), [1, 4, 4]), { batchSize: 8, dtype: 'uint8' });
      for await (const b of l.epoch(0)) { b.images.dispose(); break; }
      await l.close();
    }
    console.log('closed');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.signal, null, 'the process did not exit by itself');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'batches 26 true\nclosed');
});

test('live tensors stay flat over many batches', async () => {
  const src = makeSource(200, range(200).map((i) => i % 4), true);
  const ld = new Loader(src, { batchSize: 16, seed: 1, transform: new Compose([new RandomCrop(4, { padding: 2 }), new RandomHorizontalFlip()]) });
  const before = memory().liveTensors;
  let n = 0;
  for await (const b of ld.batches({}, 5)) {
    tidy(() => b.images.mean().item());
    dispose(b);
    assert.equal(memory().liveTensors, before, `after batch ${n}`);
    n++;
  }
  for (let i = 0; i < 20; i++) tidy(() => {
    ld.batch(i % 3, i % ld.batchesPerEpoch);
  });
  assert.equal(memory().liveTensors, before);
  assert.equal(n, 5 * 13);
  await ld.close();
});

test('bad options give clear errors', () => {
  const src = makeSource(10);
  assert.throws(() => new Loader(src, { batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  assert.throws(() => new Loader(src, { batchSize: 2, dtype: 'uint8', transform: new RandomHorizontalFlip() }), /a transform needs dtype 'float32'/);
  assert.throws(() => new Loader(src, { batchSize: 2, indices: [3, 10] }), /indices contains 10, outside the source's \[0, 10\)/);
  assert.throws(() => new Loader(src, { batchSize: 2, labels: [1, 2] }), /2 labels for a source of 10 images/);
  assert.throws(() => new Loader(src, { batchSize: 2 }).batchIndices(0, 5), /batch 5 out of range \[0, 5\)/);
  assert.throws(() => memorySource(new Uint8Array(10), [1, 2, 2]), /10 bytes is not a whole number of \[1, 2, 2\] images/);
  assert.throws(() => memorySource(new Uint8Array(8), [2, 2]), /image shape must be \[C, H, W\]/);
});
