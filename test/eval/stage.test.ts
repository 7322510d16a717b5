// The evaluation stage end to end on small synthetic splits: a supervised alexnet_s trained
// briefly beats a random one on the same probes; results and manifests on disk; the table; the
// command line; bad input.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate, resultsTable, formatTable, type EvalResults } from '../../src/eval/index.js';
import { trainSupervised } from '../../src/supervised/index.js';
import { grayCache } from '../helpers/idx.js';
import { unlabeledCache } from '../helpers/runs.js';
import { rng } from '../helpers/random.js';
import { selfsup } from '../helpers/cli.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('eval-stage');
const SIDE = 32;

/** Class c: an 'L' turned by c quarter turns, of random size, place and brightness, on noise. */
function ells(n: number, seed: number): { images: Uint8Array; labels: number[] } {
  const r = rng(seed);
  const images = new Uint8Array(n * SIDE * SIDE), labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    labels.push(c);
    const top = 6 + Math.floor(r() * 6), left = 6 + Math.floor(r() * 6), h = 12 + Math.floor(r() * 6), w = 8 + Math.floor(r() * 5), lit = 110 + Math.floor(r() * 140);
    for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
      const stem = x >= left && x < left + 3 && y >= top && y < top + h;
      const foot = y >= top + h - 3 && y < top + h && x >= left && x < left + w;
      // Turn (x, y) by c quarter turns about the centre.
      let [u, v] = [x, y];
      for (let q = 0; q < c; q++) [u, v] = [SIDE - 1 - v, u];
      images[i * SIDE * SIDE + v * SIDE + u] = Math.floor(r() * 50 + (stem || foot ? lit : 0));
    }
  }
  return { images, labels };
}

let train = '', testSplit = '', supervised = '';
before(async () => {
  const a = ells(512, 1), b = ells(256, 2);
  train = await grayCache(tmp('idx'), join(tmp('cache'), 'train'), a.images, SIDE, a.labels);
  testSplit = await grayCache(tmp('idx'), join(tmp('cache'), 'test'), b.images, SIDE, b.labels);
  supervised = join(tmp('run'), 'sup');
  const r = await trainSupervised({ arch: 'alexnet_s', data: train, out: supervised, epochs: 6, batchSize: 32, optimizer: 'adam', lr: 1e-3, warmup: 0, valFraction: 0.1, quiet: true });
  assert.equal(r.status, 'completed');
});

const common = { taps: ['conv3', 'conv5'], epochs: 10, shots: [10], draws: 2, k: [5, 20], quiet: true };

test('a briefly supervised alexnet_s beats a random one; results, manifests and the table', async () => {
  const sup = await evaluate('all', { model: supervised, data: train, test: testSplit, ...common });
  const rndOut = tmp('random');
  const rnd = await evaluate('all', { model: 'random:alexnet_s', data: train, test: testSplit, out: rndOut, ...common });
  assert.equal(sup.out, join(supervised, 'eval'), 'a run keeps its results in RUN/eval');
  const top1 = (r: EvalResults, head: string) => r.linear!.find((h) => h.name === head)!.top1;
  assert.deepEqual(sup.results.linear!.map((h) => h.name), ['conv3', 'conv5', 'conv3:gap', 'conv5:gap']);
  assert.ok(top1(sup.results, 'conv5:gap') > top1(rnd.results, 'conv5:gap') + 0.05, `supervised ${top1(sup.results, 'conv5:gap')} vs random ${top1(rnd.results, 'conv5:gap')}`);
  assert.deepEqual(sup.results.knn!.results.map((k) => k.k), [5, 20]);
  assert.equal(sup.results.lowshot!.results[0]!.trainSize, 40);
  for (const f of ['linear.json', 'knn.json', 'lowshot.json']) {
    const m = JSON.parse(readFileSync(join(sup.out, f), 'utf8'));
    assert.equal(m.format, 'selfsup.evaluation');
    assert.equal(m.complete, true);
    assert.match(m.key, /^[0-9a-f]{16}$/);
    assert.match(m.inputs.model.key, /^[0-9a-f]{16}$/, 'the run is an input with its key');
  }
  const again = await evaluate('all', { model: supervised, data: train, test: testSplit, ...common });
  assert.deepEqual(again.results.linear, sup.results.linear, 'the same bits again');
  assert.deepEqual(again.manifests.map((m) => m.key), sup.manifests.map((m) => m.key));
  const table = resultsTable([supervised, rndOut]);
  assert.deepEqual(table.columns, ['conv3', 'conv5', 'GAP', 'kNN 5', 'kNN 20', '10/class']);
  assert.equal(table.rows[1]!.model, 'random:alexnet_s');
  assert.equal(table.rows[0]!.cells.conv5, (100 * top1(sup.results, 'conv5')).toFixed(1));
  assert.match(formatTable(table, 'markdown').split('\n')[1]!, /^\| --- \| ---: \|/);
});

test('features over --memory-limit stream from disk: kNN and low-shot unchanged, probes close, nothing left behind', async () => {
  const opts = { model: supervised, data: train, test: testSplit, ...common, taps: ['conv5'], knnHead: 'conv5:gap' };
  const mem = await evaluate('all', { ...opts, out: tmp('mem') });
  const diskOut = tmp('disk');
  // 1 MiB: a split's 4.8 MB of features go to disk; the 131 kB of the kNN and low-shot head come back in memory.
  const disk = await evaluate('all', { ...opts, out: diskOut, memoryLimit: 2 ** -10 });
  assert.deepEqual(disk.results.knn, mem.results.knn, 'the same features, the same votes');
  assert.deepEqual(disk.results.lowshot, mem.results.lowshot);
  for (const [i, h] of disk.results.linear!.entries()) {
    assert.equal(h.name, mem.results.linear![i]!.name);
    assert.ok(Math.abs(h.top1 - mem.results.linear![i]!.top1) < 0.05, `${h.name}: streamed ${h.top1} vs in memory ${mem.results.linear![i]!.top1}`);
  }
  assert.deepEqual(readdirSync(diskOut).sort(), ['knn.json', 'linear.json', 'lowshot.json'], 'the streamed features are removed');
});

test('--augment: probes trained on augmented images through the frozen trunk', async () => {
  const r = await evaluate('linear', { model: supervised, data: train, test: testSplit, out: tmp('aug'), taps: ['conv5'], gap: true, epochs: 3, augment: true, quiet: true });
  assert.deepEqual(r.results.linear!.map((h) => h.name), ['conv5', 'conv5:gap']);
  for (const h of r.results.linear!) assert.ok(h.top1 > 0.6, `${h.name}: ${h.top1}`);
  assert.equal(r.results.linear![0]!.steps, 3 * Math.floor(512 / 256));
  // bf16 autocast in the augmented passes: other bits (so it took effect), about the same accuracy.
  const bf16 = await evaluate('linear', { model: supervised, data: train, test: testSplit, out: tmp('aug16'), taps: ['conv5'], gap: true, epochs: 3, augment: true, precision: 'bf16', quiet: true });
  for (const [i, h] of bf16.results.linear!.entries()) {
    const fp32 = r.results.linear![i]!;
    assert.notEqual(h.trainLoss, fp32.trainLoss, `${h.name}: bf16 computes other bits`);
    assert.ok(Math.abs(h.top1 - fp32.top1) < 0.05, `${h.name}: bf16 ${h.top1} vs fp32 ${fp32.top1}`);
  }
  await assert.rejects(evaluate('linear', { features: 'x.npy', testFeatures: 'y.npy', data: train, test: testSplit, out: tmp('aug'), augment: true, quiet: true }), /--augment needs --model|x\.npy/);
});

test('features files are evaluated on the same footing', async () => {
  const f = (data: string, out: string) => selfsup(['features', '--source', 'pixels', '--pool', '8x8', '--data', data, '--out', out, '--quiet']);
  const a = join(tmp('f'), 'train.npy'), b = join(tmp('f'), 'test.npy');
  assert.equal(f(train, a).status, 0);
  assert.equal(f(testSplit, b).status, 0);
  const r = await evaluate('knn', { features: a, testFeatures: b, data: train, test: testSplit, out: tmp('pixels'), k: [5], quiet: true });
  assert.equal(r.results.knn!.head, 'features');
  assert.ok(r.results.knn!.results[0]!.top1 > 0.3);
});

test('bad input: labelless cache, other image shapes, unknown tap, missing --out', async () => {
  const n = 16, side = 16, r = rng(9);
  const unlabeled = await unlabeledCache(tmp('u'), join(tmp('u'), 'c'), Uint8Array.from({ length: n * SIDE * SIDE }, () => Math.floor(r() * 255)), n, SIDE);
  const small = await grayCache(tmp('s'), join(tmp('s'), 'c'), new Uint8Array(n * side * side), side, Array.from({ length: n }, (_, i) => i % 4));
  const base = { model: 'random:alexnet_s', data: train, test: testSplit, out: tmp('bad'), quiet: true };
  await assert.rejects(evaluate('knn', { ...base, test: unlabeled }), /--test .*: the cache has no labels; evaluation needs a labeled cache/);
  await assert.rejects(evaluate('knn', { ...base, test: small }), /--test .*: images of \[1, 16, 16\], --data .* has \[1, 32, 32\]/);
  await assert.rejects(evaluate('linear', { ...base, taps: ['conv9'] }), /--taps: alexnet_s has no layer 'conv9'/);
  await assert.rejects(evaluate('knn', { ...base, out: undefined }), /--out is required for random:ARCH/);
  const cliOut = tmp('cli');
  const cli = selfsup(['eval', 'knn', '--model', 'random:alexnet_s', '--data', train, '--test', testSplit, '--out', cliOut, '--k', '5', '--quiet']);
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /kNN {4}conv5:gap {4}k=5: top-1/);
  assert.ok(existsSync(join(cliOut, 'knn.json')));
  const t = selfsup(['eval', 'table', cliOut, '--markdown']);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /\| model \| kNN 5 \|/);
});
