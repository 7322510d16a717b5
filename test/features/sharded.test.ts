// Sharded extraction: `selfsup launch --nproc 2|3 -- features ...` writes the same bytes as one
// process (each image in the batch one process puts it in), rank 0 alone reporting, no shard
// files left; and the batch-aligned ranges cover every image once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { batchAlignedRange } from '../../src/features/sharded.js';
import { grayCache } from '../helpers/idx.js';
import { MAIN } from '../helpers/cli.js';
import { startRank } from '../helpers/ranks.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('features-sharded');
const NO_GROUP = { RANK: '', WORLD_SIZE: '', SELFSUP_THREADS: '1' };
const selfsup = (args: string[]) => startRank([MAIN, ...args], NO_GROUP, 0, 90_000).exit;

test('batchAlignedRange: whole batches, contiguous, every row once', () => {
  // 23 rows in batches of 5: batches [0,5) [5,10) [10,15) [15,20) [20,23), over 2 and 3 ranks.
  assert.deepEqual([0, 1].map((r) => batchAlignedRange(23, 5, r, 2)), [{ start: 0, end: 10 }, { start: 10, end: 23 }]);
  assert.deepEqual([0, 1, 2].map((r) => batchAlignedRange(23, 5, r, 3)), [{ start: 0, end: 5 }, { start: 5, end: 15 }, { start: 15, end: 23 }]);
  assert.deepEqual([0, 1, 2].map((r) => batchAlignedRange(2, 5, r, 3)), [{ start: 0, end: 0 }, { start: 0, end: 0 }, { start: 0, end: 2 }]);
});

test('launch --nproc 2 and 3 -- features: the .npy one process writes, byte for byte', { timeout: 120_000 }, async () => {
  const n = 23;
  const images = Uint8Array.from({ length: n * 64 }, (_, i) => (i * 31 + (i >> 6) * 7) % 251);
  const cache = await grayCache(tmp('idx'), join(tmp('c'), 'cache'), images, 8, Array.from({ length: n }, (_, i) => i % 3));
  const args = (out: string) => ['features', '--source', 'random:alexnet_s', '--pool', 'global', '--seed', '3', '--data', cache, '--out', out, '--batch-size', '5'];
  const outs = [1, 2, 3].map((w) => join(tmp(`w${w}`), 'f.npy'));
  const [r1, r2, r3] = await Promise.all([
    selfsup(args(outs[0]!)),
    selfsup(['launch', '--nproc', '2', '--', ...args(outs[1]!)]),
    selfsup(['launch', '--nproc', '3', '--', ...args(outs[2]!)]),
  ]);
  for (const r of [r1, r2, r3]) assert.equal(r!.code, 0, r!.stderr);
  assert.equal(r2!.stdout.match(/^features/gm)?.length, 1, 'rank 0 alone reports');
  const bytes = outs.map((o) => readFileSync(o));
  assert.ok(bytes[0]!.length > 23 * 4);
  assert.ok(bytes[1]!.equals(bytes[0]!), '2 processes');
  assert.ok(bytes[2]!.equals(bytes[0]!), '3 processes');
  for (const o of outs.slice(1)) assert.deepEqual(readdirSync(join(o, '..')).sort(), ['f.npy', 'f.npy.json']);
  const key = (o: string) => JSON.parse(readFileSync(`${o}.json`, 'utf8')).key;
  assert.equal(key(outs[1]!), key(outs[0]!));
});
