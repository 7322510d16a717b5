// Pretext training end to end on small synthetic sets: accuracy well above chance, the run
// folder's files, loading the trunk back, resume rules, and the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tidy, tensor, F } from '../../src/engine/index.js';
import { trainValSplit } from '../../src/data/loader/index.js';
import { assertClose } from '../helpers/assert.js';
import { loadSafetensors } from '../../src/io/index.js';
import { trainPretext } from '../../src/pretext/train.js';
import { readPretextConfig } from '../../src/pretext/run.js';
import { loadSourceModel } from '../../src/artifacts/index.js';
import { standardizePerImage } from '../../src/data/augment/index.js';
import { rng } from '../helpers/random.js';
import { grayCache } from '../helpers/idx.js';
import { tempFolders } from '../helpers/tmp.js';
import { selfsup } from '../helpers/cli.js';
import { maxAbsDiff } from '../helpers/tensors.js';

const tmp = tempFolders('pretext-train');
const SIDE = 32;

/** Bright discs near the centre (radius 8..12) on noise: each jigsaw cell shows its own arc. */
function discs(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(n * SIDE * SIDE);
  for (let i = 0; i < n; i++) {
    const cy = 15.5 + (r() - 0.5) * 4, cx = 15.5 + (r() - 0.5) * 4, rad = 8 + r() * 4;
    for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
      const inside = (y - cy) ** 2 + (x - cx) ** 2 < rad * rad;
      out[i * SIDE * SIDE + y * SIDE + x] = Math.floor(r() * 40 + (inside ? 180 : 20));
    }
  }
  return out;
}

/** An 'L' of random size and place on noise: its rotation is visible. */
function ells(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(n * SIDE * SIDE);
  for (let i = 0; i < n; i++) {
    const top = 4 + Math.floor(r() * 6), left = 6 + Math.floor(r() * 8), h = 14 + Math.floor(r() * 6), w = 8 + Math.floor(r() * 6);
    for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
      const stem = x >= left && x < left + 4 && y >= top && y < top + h;
      const foot = y >= top + h - 4 && y < top + h && x >= left && x < left + w;
      out[i * SIDE * SIDE + y * SIDE + x] = Math.floor(r() * 40 + (stem || foot ? 190 : 10));
    }
  }
  return out;
}

async function cache(name: string, images: Uint8Array, n: number): Promise<string> {
  return grayCache(tmp(`${name}-idx`), join(tmp(name), 'cache'), images, SIDE, Array.from({ length: n }, () => 0));
}

test('jigsaw++: 150 steps on discs take pretext accuracy far above chance; the run folder is complete', async () => {
  const n = 640;
  const data = await cache('discs', discs(n, 1), n);
  const out = join(tmp('run'), 'jig');
  const r = await trainPretext({
    task: 'jigsaw++', arch: 'alexnet_s', data, out, permutations: 10, epochs: 8, batchSize: 32, valFraction: 0.1,
    optimizer: 'adam', lr: 1e-3, weightDecay: 0, schedule: 'constant', warmup: 0, quiet: true,
  });
  assert.equal(r.status, 'completed');
  assert.equal(r.step, 8 * 18);
  const s = r.summary!;
  assert.equal(s.chance, 0.1);
  assert.ok(s.valAccuracy! > 0.5, `validation pretext accuracy ${s.valAccuracy} (chance 0.1)`);
  for (const f of ['config.json', 'permutations.json', 'metrics.jsonl', 'checkpoint.safetensors', 'model.safetensors', 'trunk.safetensors', 'summary.json']) {
    assert.ok(existsSync(join(out, f)), `${f} is written`);
  }
  const config = readPretextConfig(out);
  assert.equal(config.task, 'jigsaw++');
  assert.deepEqual(config.jigsaw!.occlusion, [1 / 3, 1 / 3, 1 / 3]);
  assert.deepEqual([config.jigsaw!.crop, config.jigsaw!.cell, config.jigsaw!.tile], [30, 10, 9]);
  const perms = JSON.parse(readFileSync(join(out, 'permutations.json'), 'utf8')).permutations as number[][];
  assert.equal(perms.length, 10);
  // The saved trunk is the trained one: the model file's trunk weights equal trunk.safetensors'.
  // Its BatchNorm statistics are those of full images (all 576 training images here, in equal
  // batches, so conv1's running mean is the mean of conv1's output over them), not of tiles.
  const model = loadSafetensors(join(out, 'model.safetensors')).tensors;
  const trunk = loadSafetensors(join(out, 'trunk.safetensors')).tensors;
  assert.ok(trunk.size > 0);
  assert.equal(s.bnImages, 576);
  for (const [k, t] of trunk) {
    const diff = maxAbsDiff(t, model.get(`trunk.${k}`)!);
    if (/running_|num_batches/.test(k)) assert.ok(diff > 0, `trunk.${k} holds full-image statistics`);
    else assert.equal(diff, 0, `trunk.${k}`);
  }
  tidy(() => {
    const { train } = trainValSplit(n, { valFraction: 0.1, seed: config.train.seed });
    const images = tensor(discs(n, 1), { shape: [n, 1, SIDE, SIDE] }).indexSelect(0, tensor(train, { dtype: 'int64' })).float().div(255);
    const conv1 = F.conv2d(standardizePerImage(images), trunk.get('0.weight')!, trunk.get('0.bias') ?? null, { padding: 2 });
    assertClose(trunk.get('1.running_mean')!.tolist(), conv1.mean([0, 2, 3]).tolist(), 1e-4);
    assert.equal(Number(trunk.get('1.num_batches_tracked')!.item()), 18);
  });
  // As a feature source: full images through the trunk, conv5 tap.
  const src = loadSourceModel(out);
  tidy(() => {
    const x = tensor(discs(4, 9), { shape: [4, 1, SIDE, SIDE] }).float().div(255);
    const f = src.trunk.features(src.preprocess(x), ['conv5']).get('conv5')!;
    assert.deepEqual(f.shape, [4, 64, 8, 8]);
    assert.ok(f.isfinite().all().item());
  });
  src.dispose();
  // A finished run is not overwritten, and resuming it changes nothing.
  await assert.rejects(() => trainPretext({ task: 'jigsaw++', data, out, quiet: true }), /already holds a run; pass --resume/);
  await assert.rejects(() => trainPretext({ task: 'rotation', data, out, resume: true, quiet: true }), /trained on 'jigsaw\+\+', not 'rotation'/);
  const again = await trainPretext({ task: 'jigsaw++', data, out, resume: true, quiet: true });
  assert.equal(again.step, r.step);
  for (const t of [...model.values(), ...trunk.values()]) t.dispose();
});

test('rotation via the CLI: 4-way accuracy far above chance; --max-steps stops resumably', async () => {
  const n = 512;
  const data = await cache('ells', ells(n, 2), n);
  const out = join(tmp('run'), 'rot');
  const common = ['pretext', 'train', '--task', 'rotation', '--arch', 'alexnet_s', '--data', data, '--out', out, '--batch-size', '32', '--epochs', '4', '--optimizer', 'adam', '--lr', '0.001', '--warmup', '0', '--quiet'];
  const first = selfsup([...common, '--max-steps', '20']);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /stopped at step 20; continue with the same command and --resume/);
  assert.ok(!existsSync(join(out, 'trunk.safetensors')), 'an unfinished run has no model files');
  const second = selfsup([...common, '--resume']);
  assert.equal(second.status, 0, second.stderr);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.chance, 0.25);
  assert.equal(summary.step, 4 * 15);
  assert.ok(summary.valAccuracy > 0.6, `rotation validation accuracy ${summary.valAccuracy}`);
  const bad = selfsup(['pretext', 'train', '--task', 'jigsaw', '--data', data, '--out', tmp('bad'), '--occlusion', '0.5,0.5', '--quiet']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--occlusion is for --task jigsaw\+\+/);
  const badBn = selfsup(['pretext', 'train', '--task', 'rotation', '--data', data, '--out', tmp('bad-bn'), '--bn-images', '100', '--quiet']);
  assert.notEqual(badBn.status, 0);
  assert.match(badBn.stderr, /--bn-images is for the jigsaw tasks/);
});
