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
