// selfsup features --device: cpu and auto (here: the CPU) write the same bytes as no flag; cuda
// without a CUDA device is a clear error that writes nothing, not even the output's folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setNumThreads } from '../../src/engine/index.js';
import { featuresStage, readFeaturesInfo } from '../../src/features/index.js';
import { grayCache } from '../helpers/idx.js';
import { bands } from '../helpers/runs.js';
import { tempFolders } from '../helpers/tmp.js';
import { assertCudaRefused, skipWithCuda } from '../helpers/device.js';
import { selfsup } from '../helpers/cli.js';

const tmp = tempFolders('features-device');
setNumThreads(1);

test('features --device: cpu and auto equal no flag; cuda without CUDA and a bad name write nothing', { skip: skipWithCuda }, async () => {
  const { images, labels } = bands(40, 5);
  const cache = await grayCache(tmp('idx'), join(tmp('cache'), 'c'), images, 32, labels);
  const base = { source: 'random:alexnet_s@conv2', data: cache, pool: '2x2', batchSize: 16, quiet: true };
  const files = [];
  for (const device of [undefined, 'cpu', 'auto']) {
    const out = join(tmp(device ?? 'none'), 'f.npy');
    await featuresStage({ ...base, out, ...(device ? { device } : {}) });
    files.push(out);
  }
  const bytes = files.map((f) => readFileSync(f));
  assert.ok(bytes[0]!.length > 40 * 4 * 100, `${bytes[0]!.length} bytes`);
  for (const b of bytes.slice(1)) assert.ok(b.equals(bytes[0]!), 'the same rows');
  assert.deepEqual(new Set(files.map((f) => readFeaturesInfo(f).key)).size, 1, 'the device is not in the key');

  const missing = join(tmp('cuda'), 'sub');
  await assert.rejects(featuresStage({ ...base, out: join(missing, 'f.npy'), device: 'cuda' }), /device 'cuda' is not available/);
  assertCudaRefused(['features', '--source', base.source, '--data', cache, '--out', join(missing, 'f.npy'), '--quiet'], [missing]);
  const bad = selfsup(['features', '--source', 'hog', '--data', cache, '--out', join(missing, 'f.npy'), '--device', 'gpu:0']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--device: expected auto, cpu, cuda or cuda:N, got "gpu:0"/);
});
