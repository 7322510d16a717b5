// Nearest-neighbour retrievals: cosine neighbours worked out by hand, fixed query rows, and the
// stage on features files (a query from the bank itself is not its own neighbour).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nearestRows, queryRows, retrievalsStage } from '../../src/eval/retrievals.js';
import { writeNpy } from '../../src/io/npy.js';
import { grayCache } from '../helpers/idx.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('retrievals');

test('nearestRows: cosine similarity, best first, ties to the lower row, an excluded row left out', () => {
  // Bank rows (2-D): (1,0), (0,1), (1,1), (2,0), (-1,0).
  const bank = Float32Array.from([1, 0, 0, 1, 1, 1, 2, 0, -1, 0]);
  const q = Float32Array.from([3, 1]);
  const [r] = nearestRows(bank, q, 2, 5);
  // cos with (3,1)/sqrt(10): (1,0) and (2,0) 3/sqrt(10) = 0.9487 (tie: row 0 first), (1,1) 4/sqrt(20) = 0.8944,
  // (0,1) 1/sqrt(10) = 0.3162, (-1,0) -0.9487.
  assert.deepEqual(r!.rows, [0, 3, 2, 1, 4]);
  const s = 3 / Math.sqrt(10);
  assert.ok(Math.abs(r!.similarities[0]! - s) < 1e-6 && Math.abs(r!.similarities[2]! - 4 / Math.sqrt(20)) < 1e-6);
  const [e] = nearestRows(bank, q, 2, 2, [0]);
  assert.deepEqual(e!.rows, [3, 2]);
});

test('queryRows: the first image of each class in turn; evenly spaced rows without labels', () => {
  assert.deepEqual(queryRows(Int32Array.from([2, 0, 0, 1, 2, 1, 0]), 7, 5), [1, 3, 0, 2, 5]);
  assert.deepEqual(queryRows(null, 10, 4), [0, 2, 5, 7]);
  assert.deepEqual(queryRows(null, 3, 8), [0, 1, 2]);
});

test('the stage on a features file: neighbours and labels of fixed queries in retrievals.json', async () => {
  const side = 4, n = 6;
  const labels = [0, 1, 0, 1, 0, 1];
  const cache = await grayCache(tmp('idx'), join(tmp('cache'), 'c'), new Uint8Array(n * side * side), side, labels);
  // Rows at 0, 45, 90, 135, 180, 225 degrees (integer vectors, so equal angles tie exactly).
  const feats = Float32Array.from([1, 0, 1, 1, 0, 1, -1, 1, -1, 0, -1, -1]);
  const file = join(tmp('f'), 'f.npy');
  writeNpy(file, feats, [n, 2]);
  const out = tmp('out');
  const r = await retrievalsStage({ features: file, data: cache, out, queries: 2, neighbours: 3 });
  assert.deepEqual(r.queries.map((q) => q.row), [0, 1]);
  assert.deepEqual(r.queries[0]!.neighbours, [1, 2, 3]);
  assert.deepEqual(r.queries[1]!.neighbours, [0, 2, 3]); // ties (rows 0 and 2) to the lower row
  assert.deepEqual(r.queries[1]!.labels, [0, 0, 1]);
  assert.equal(r.queries[1]!.label, 1);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'retrievals.json'), 'utf8')).queries[0].neighbours, [1, 2, 3]);
  await assert.rejects(retrievalsStage({ data: cache, out }), /give --model RUN\|random:ARCH, or --features/);
  const short = join(tmp('f'), 's.npy');
  writeNpy(short, feats.subarray(0, 8), [4, 2]);
  await assert.rejects(retrievalsStage({ features: short, data: cache, out }), /--features .*s\.npy: 4 rows, its cache has 6 images/);
});
