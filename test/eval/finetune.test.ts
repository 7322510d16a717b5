// Fine-tuning: a random trunk with a new head, trained on a labeled cache, classifies a separate
// test cache well above chance; the trunk trains at lrScale times the head's rate; a stopped run
// resumes to the files of an uninterrupted one; a finished run's trunk is the starting point.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, readSafetensorsHeader } from '../../src/io/index.js';
import { finetune, finetuneSchema } from '../../src/eval/finetune.js';
import { trainSupervised } from '../../src/supervised/index.js';
import { parseOptions } from '../../src/util/options.js';
import { grayCache } from '../helpers/idx.js';
import { assertSameFiles, bands, unlabeledCache } from '../helpers/runs.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('finetune');
const SIDE = 32;
let data = '', testCache = '';
before(async () => {
  const a = bands(256, 1, SIDE), b = bands(128, 2, SIDE);
  data = await grayCache(tmp('idx'), join(tmp('cache'), 'train'), a.images, SIDE, a.labels);
  testCache = await grayCache(tmp('idx'), join(tmp('cache'), 'test'), b.images, SIDE, b.labels);
});

const small = { epochs: 2, batchSize: 32, optimizer: 'sgd' as const, lr: 0.02, warmup: 0, schedule: 'constant' as const, valFraction: 0.125, seed: 3, quiet: true };

/** The optimiser's group rates in a run's checkpoint. */
function checkpointLrs(dir: string): number[] {
  const info = JSON.parse(readSafetensorsHeader(join(dir, 'checkpoint.safetensors')).metadata!.selfsup!) as { optimizer: { paramGroups: { lr: number }[] } };
  return info.optimizer.paramGroups.map((g) => g.lr);
}

test('the schema: model, data, test and out required; lrScale 0.1, crop padding 2 and flips by default', () => {
  const o = parseOptions(finetuneSchema, { model: 'random:alexnet_s', data: 'c', test: 't', out: 'o' });
  assert.deepEqual([o.lrScale, o.cropPadding, o.flip, o.epochs], [0.1, 2, true, 2]);
  assert.throws(() => parseOptions(finetuneSchema, { model: 'random:alexnet_s', data: 'c', out: 'o' }), /test: expected a string, got nothing/);
  assert.throws(() => parseOptions(finetuneSchema, { model: 'random:alexnet_s', data: 'c', test: 't', out: 'o', lrScale: -1 }), /lrScale: expected a number >= 0, got -1/);
});

test('a random trunk fine-tuned: well above chance on the test cache; the trunk at 0.1 x lr from step 1; resume gives the same files', async (t) => {
  const straight = join(tmp('straight'), 'r');
  const a = await finetune({ ...small, model: 'random:alexnet_s', data, test: testCache, out: straight });
  assert.equal(a.status, 'completed');
  const s = a.summary!;
  assert.equal(s.testImages, 128);
  assert.equal(s.classes, 4);
  t.diagnostic(`test top-1 ${s.testAccuracy}, validation ${s.valAccuracy}, chance ${s.chance}`);
  assert.ok(s.testAccuracy > 0.8, `test top-1 ${s.testAccuracy} (chance ${s.chance})`);
  const manifest = JSON.parse(readFileSync(join(straight, 'manifest.json'), 'utf8'));
  assert.equal(manifest.format, 'selfsup.finetune-run');
  assert.equal(manifest.config.model, 'random:alexnet_s', 'a random trunk is part of the config');
  assert.equal(manifest.config.lrScale, 0.1);
  assert.deepEqual(Object.keys(manifest.inputs).sort(), ['data', 'test']);
  assert.equal(manifest.summary.testAccuracy, s.testAccuracy);

  const out = join(tmp('stopped'), 'r');
  const b = await finetune({ ...small, model: 'random:alexnet_s', data, test: testCache, out, maxSteps: 1 });
  assert.deepEqual([b.status, b.step], ['stopped', 1]);
  // Groups: the new head at --lr, the trunk at lrScale x --lr.
  const [head, trunk] = checkpointLrs(out);
  assert.equal(head, 0.02);
  assert.ok(Math.abs(trunk! - 0.002) < 1e-12, `trunk lr ${trunk}`);
  assert.equal(existsSync(join(out, 'manifest.json')), false);
  const c = await finetune({ ...small, model: 'random:alexnet_s', data, test: testCache, out, resume: true });
  assert.equal(c.status, 'completed');
  assert.equal(c.key, a.key);
  assert.equal(c.summary!.testAccuracy, s.testAccuracy);
  assertSameFiles(straight, out);
  await assert.rejects(() => finetune({ ...small, model: 'random:vgg_s', data, test: testCache, out, resume: true }), /was fine-tuned from random:alexnet_s, not random:vgg_s/);
});

test("a finished run's trunk is the starting point (lrScale 0 keeps its weights); clear errors", async () => {
  const run = join(tmp('supervised'), 'r');
  const sup = await trainSupervised({ ...small, arch: 'alexnet_s', epochs: 1, data, out: run });
  assert.equal(sup.status, 'completed');
  const out = join(tmp('from-run'), 'r');
  const r = await finetune({ ...small, model: run, data, test: testCache, out, lrScale: 0, maxSteps: 2 });
  assert.equal(r.status, 'stopped');
  assert.deepEqual(checkpointLrs(out), [0.02, 0]);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(config.arch, 'alexnet_s');
  assert.equal(config.source.key, sup.key);
  assert.equal(config.input, 'dataset');
  // The trunk's weights (not its BatchNorm statistics, which training mode updates) are the run's.
  const source = loadSafetensors(join(run, 'trunk.safetensors')).tensors;
  const ck = loadSafetensors(join(out, 'checkpoint.safetensors')).tensors;
  let compared = 0;
  for (const [k, t] of source) {
    if (!k.endsWith('weight')) continue;
    assert.deepEqual(ck.get(`model.trunk.${k}`)!.tolist(), t.tolist(), k);
    compared++;
  }
  assert.ok(compared >= 5, `${compared} weights compared`);
  for (const t of [...source.values(), ...ck.values()]) t.dispose();
  const done = await finetune({ ...small, model: run, data, test: testCache, out, lrScale: 0, resume: true });
  assert.equal(done.status, 'completed');
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).inputs).sort(), ['data', 'model', 'test']);

  const { images } = bands(64, 5, SIDE);
  const bare = await unlabeledCache(tmp('idx'), join(tmp('cache'), 'bare'), images, 64, SIDE);
  await assert.rejects(() => finetune({ ...small, model: 'random:alexnet_s', data: bare, test: testCache, out: join(tmp('x'), 'r') }), /^Error: --data .*bare: the cache has no labels, and fine-tuning needs them/);
  await assert.rejects(() => finetune({ ...small, model: 'random:alexnet_s', data, test: bare, out: join(tmp('x'), 'r') }), /^Error: --test .*bare: the cache has no labels/);
  await assert.rejects(() => finetune({ ...small, model: 'random:convnet_s', data, test: testCache, out: join(tmp('x'), 'r') }), /has no trunk\/head split/);
  await assert.rejects(() => finetune({ ...small, model: tmp('empty'), data, test: testCache, out: join(tmp('x'), 'r') }), /not a run folder/);
  const big = bands(64, 6, 16);
  const other = await grayCache(tmp('idx'), join(tmp('cache'), 'small'), big.images, 16, big.labels);
  await assert.rejects(() => finetune({ ...small, model: 'random:alexnet_s', data, test: other, out: join(tmp('x'), 'r') }), /--test .*: images are 1x16x16, the fine-tuning cache's 1x32x32/);
});
