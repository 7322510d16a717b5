// selfsup eval all|linear|knn|lowshot and eval retrievals --device: cpu and auto (here: the CPU)
// give the same results as no flag, --augment too; cuda without a CUDA device is a clear error
// that writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setNumThreads } from '../../src/engine/index.js';
import { evaluate, type EvalResults } from '../../src/eval/index.js';
import { retrievalsStage } from '../../src/eval/retrievals.js';
import { grayCache } from '../helpers/idx.js';
import { bands, jsonFile } from '../helpers/runs.js';
import { tempFolders } from '../helpers/tmp.js';
import { assertCudaRefused, skipWithCuda } from '../helpers/device.js';

const tmp = tempFolders('eval-device');
setNumThreads(1);

const untimed = (r: EvalResults) => ({ ...r, seconds: undefined });

test('eval and retrievals --device: cpu and auto equal no flag; cuda without CUDA writes nothing', { skip: skipWithCuda }, async () => {
  const a = bands(48, 1), b = bands(24, 2);
  const train = await grayCache(tmp('idx'), join(tmp('cache'), 'train'), a.images, 32, a.labels);
  const testSplit = await grayCache(tmp('idx'), join(tmp('cache'), 'test'), b.images, 32, b.labels);
  const base = { model: 'random:alexnet_s', data: train, test: testSplit, taps: ['conv2'], dim: 64, epochs: 1, probeBatch: 16, shots: [2], draws: 1, k: [5], batchSize: 16, quiet: true };
  const evals: { results: EvalResults; manifests: { key: string }[] }[] = [], retrievals: unknown[] = [];
  for (const device of [undefined, 'cpu', 'auto']) {
    const d = device ? { device } : {};
    const e = await evaluate('all', { ...base, out: tmp(`eval-${device ?? 'none'}`), ...d });
    evals.push(e);
    // The frozen trunk on augmented batches: the other place images go through the network.
    evals.push(await evaluate('linear', { ...base, augment: true, out: tmp(`aug-${device ?? 'none'}`), ...d }));
    const r = await retrievalsStage({ model: base.model, data: train, out: tmp(`ret-${device ?? 'none'}`), queries: 3, neighbours: 2, quiet: true, ...d });
    retrievals.push(jsonFile(join(r.out, 'retrievals.json')));
  }
  assert.ok(evals[0]!.results.knn!.results[0]!.top1 >= 0 && evals[0]!.results.linear!.length === 2);
  for (let i = 2; i < evals.length; i++) {
    assert.deepEqual(untimed(evals[i]!.results), untimed(evals[i % 2]!.results), `evaluation ${i}`);
    assert.deepEqual(evals[i]!.manifests.map((m) => m.key), evals[i % 2]!.manifests.map((m) => m.key), 'the device is not in the keys');
  }
  for (const r of retrievals.slice(1)) assert.deepEqual(r, retrievals[0]);

  const missing = join(tmp('cuda'), 'out');
  await assert.rejects(evaluate('all', { ...base, out: missing, device: 'cuda' }), /device 'cuda' is not available/);
  await assert.rejects(retrievalsStage({ model: base.model, data: train, out: missing, device: 'cuda' }), /device 'cuda' is not available/);
  assertCudaRefused(['eval', 'knn', '--model', base.model, '--data', train, '--test', testSplit, '--out', missing, '--quiet'], [missing]);
  assertCudaRefused(['eval', 'retrievals', '--model', base.model, '--data', train, '--out', missing, '--quiet'], [missing]);
});
