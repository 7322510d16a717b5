// --precision bf16 on feature extraction and the evaluation's frozen pass: float32 rows, close
// to fp32's (bfloat16 keeps about 2 decimal digits), other bytes, and recorded in the manifests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import { selfsup } from '../helpers/cli.js';
import { grayCache } from '../helpers/idx.js';
import { bands } from '../helpers/runs.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('precision-features');

test('features and eval --precision bf16: float32 rows within 2% of fp32\'s, not the same bits, recorded', async () => {
  const { images, labels } = bands(48, 7, 32, 4);
  const cache = await grayCache(tmp('idx'), join(tmp('cache'), 'c'), images, 32, labels);
  const rows = (p: string) => {
    const out = join(tmp(`f-${p}`), 'x.npy');
    const r = selfsup(['features', '--source', 'random:alexnet_s@conv5', '--pool', '2x2', '--data', cache, '--out', out, '--batch-size', '16', '--quiet', '--precision', p], { threads: 1 });
    assert.equal(r.status, 0, r.stderr);
    return { a: readNpy(out), manifest: JSON.parse(readFileSync(`${out}.json`, 'utf8')) };
  };
  const f32 = rows('fp32'), bf = rows('bf16');
  assert.equal(bf.a.dtype, 'float32');
  assert.deepEqual(bf.a.shape, f32.a.shape);
  const x = f32.a.data as Float32Array, y = bf.a.data as Float32Array;
  let d = 0, n = 0;
  for (let i = 0; i < x.length; i++) {
    d += (x[i]! - y[i]!) ** 2;
    n += x[i]! ** 2;
  }
  const rel = Math.sqrt(d / n);
  assert.ok(rel > 0 && rel < 0.02, `relative difference ${rel}`);
  assert.equal(bf.manifest.config.precision, 'bf16');
  assert.notEqual(bf.manifest.key, f32.manifest.key, 'the precision is part of the content key');
  const out = tmp('eval');
  const e = selfsup(['eval', 'knn', '--model', 'random:alexnet_s', '--data', cache, '--test', cache, '--out', out, '--k', '5', '--quiet', '--precision', 'bf16'], { threads: 1 });
  assert.equal(e.status, 0, e.stderr);
  assert.equal(JSON.parse(readFileSync(join(out, 'knn.json'), 'utf8')).config.precision, 'bf16');
});

test('--precision auto: bf16 where the CPU has bfloat16 instructions, else fp32, as the manifest and key say; bf16 without them warns once', async () => {
  const { images, labels } = bands(16, 3, 32, 4);
  const cache = await grayCache(tmp('idx-auto'), join(tmp('cache-auto'), 'c'), images, 32, labels);
  let n = 0;
  const run = (precision: string, native: '0' | '1') => {
    const out = join(tmp(`auto-${n++}`), 'x.npy');
    const r = selfsup(['features', '--source', 'random:alexnet_s@conv5', '--pool', '2x2', '--data', cache, '--out', out, '--batch-size', '16', '--quiet', '--precision', precision], { threads: 1, env: { SELFSUP_NATIVE_BF16: native } });
    assert.equal(r.status, 0, r.stderr);
    const m = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    return { precision: m.config.precision, key: m.key, warnings: r.stderr.split('SELFSUP_BF16_EMULATED').length - 1 };
  };
  const fp32 = run('fp32', '0'), bf16 = run('bf16', '1');
  assert.deepEqual(run('auto', '0'), { ...fp32, warnings: 0 });
  assert.deepEqual(run('auto', '1'), { ...bf16, warnings: 0 });
  assert.equal(bf16.precision, 'bf16');
  assert.equal(bf16.warnings, 0);
  assert.deepEqual(run('bf16', '0'), { ...bf16, warnings: 1 }, 'kept as asked, with one warning');
});
