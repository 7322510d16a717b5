// selfsup launch: N local ranks with torchrun's variables; a failed rank is named and the others
// stopped; a real training command runs data parallel with rank 0 alone writing the run folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareCache } from '../../src/data/index.js';
import { bands } from '../helpers/runs.js';
import { idxFile } from '../helpers/idx.js';
import { MAIN } from '../helpers/cli.js';
import { freePort, startRank, startRanks, type Exit } from '../helpers/ranks.js';
import { tempFolders } from '../helpers/tmp.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
const tmp = tempFolders('launch');
const NO_GROUP = { RANK: '', WORLD_SIZE: '', SELFSUP_THREADS: '1' };
const all = (ranks: { exit: Promise<Exit> }[]) => Promise.all(ranks.map((r) => r.exit));
const selfsup = (args: string[], env: Record<string, string> = {}) => startRank([MAIN, ...args], { ...NO_GROUP, ...env }, 0, 60_000).exit;

test('launch --nproc 2 --program runs two ranks of a program', { timeout: 60_000 }, async () => {
  const r = await selfsup(['launch', '--nproc', '2', '--program', '--', process.execPath, WORKER, 'collectives']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim()).sum, [3, 30]);
});

test('launch --nnodes 2: two launchers (node ranks 0 and 1, 2 processes each) make one group of 4', { timeout: 60_000 }, async () => {
  const port = String(await freePort());
  const node = (r: number) => selfsup(['launch', '--nnodes', '2', '--node-rank', String(r), '--nproc', '2', '--master-addr', '127.0.0.1', '--master-port', port,
    '--program', '--', process.execPath, WORKER, 'collectives']);
  const [zero, one] = await Promise.all([node(0), node(1)]);
  assert.equal(zero.code, 0, zero.stderr);
  assert.equal(one.code, 0, one.stderr);
  const out = JSON.parse(zero.stdout.trim());
  assert.deepEqual(out.sum, [1 + 2 + 3 + 4, 10 * (1 + 2 + 3 + 4)]);
  assert.deepEqual(out.gather, [[0, 1], [2, 3], [4, 5], [6, 7]], 'ranks 2 and 3 are node 1\'s');
  assert.equal(one.stdout.trim(), '', 'rank 0 alone prints');
});

test('launch names a rank that was killed, and the other rank names it too', { timeout: 60_000 }, async () => {
  const r = await selfsup(['launch', '--nproc', '2', '--program', '--', process.execPath, WORKER, 'die']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /selfsup launch: rank 1 \(pid \d+\) was killed by SIGKILL; stopping the other ranks/);
  assert.match(r.stderr, /allReduce failed on rank 0 of 2: rank 1 \(pid \d+\) ended/);
  assert.ok(r.ms < 20_000, `${r.ms} ms`);
});

test('launch --nproc 2 -- pretext train: one run folder, written by rank 0, from both ranks\' shards', { timeout: 120_000 }, async () => {
  const idx = tmp('idx');
  const { images, labels } = bands(72, 3, 16);
  writeFileSync(join(idx, 'train-images-idx3-ubyte'), idxFile([72, 16, 16], images));
  writeFileSync(join(idx, 'train-labels-idx1-ubyte'), idxFile([72], Uint8Array.from(labels)));
  const cache = join(tmp('cache'), 'c');
  await prepareCache(idx, { out: cache, size: 16, quiet: true });
  const out = join(tmp('run'), 'r');
  const r = await selfsup(['launch', '--nproc', '2', '--', 'pretext', 'train', '--task', 'rotation', '--arch', 'alexnet_s', '--data', cache, '--out', out,
    '--epochs', '2', '--batch-size', '8', '--val-fraction', '0.1', '--lr', '0.01', '--warmup', '0', '--seed', '4']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /data parallel: 2 processes x batch 8 = global batch 16/);
  assert.ok(existsSync(join(out, 'manifest.json')) && existsSync(join(out, 'trunk.safetensors')));
  // 65 training images: 33 per rank, 4 batches of 8 per rank and epoch.
  const epochs = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.type === 'epoch');
  assert.deepEqual(epochs.map((m) => m.step), [4, 8]);
});

test('a one-process command refuses to run as a rank of a group', { timeout: 60_000 }, async () => {
  const exits = await all(startRanks(2, [MAIN, 'data', 'info', 'x'], await freePort()));
  for (const e of exits) {
    assert.equal(e.code, 1);
    assert.match(e.stderr, /'selfsup data info' runs as one process; several processes run: selfsup pretext train/);
  }
});
