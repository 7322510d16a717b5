// Several processes on 127.0.0.1: collectives of known values, data-parallel training equal to
// one process with the global batch, no leak over many reductions, and the faults (a killed
// rank, a wrong world size, a port in use, a rank that never comes) named within a deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort, startRanks, type Exit } from '../helpers/ranks.js';
import { readDistEnv } from '../../src/distributed/index.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
const all = (ranks: { exit: Promise<Exit> }[]) => Promise.all(ranks.map((r) => r.exit));
const ok = (e: Exit) => assert.equal(e.code, 0, `rank ${e.rank} exited ${e.code ?? e.signal}: ${e.stderr}`);
const json = (e: Exit) => JSON.parse(e.stdout.trim().split('\n').at(-1)!) as Record<string, any>;

test('allReduce, broadcast, barrier, allGather and bucketed allReduce across 2 processes', { timeout: 60_000 }, async () => {
  const exits = await all(startRanks(2, [WORKER, 'collectives'], await freePort()));
  exits.forEach(ok);
  const out = json(exits[0]!);
  assert.deepEqual(out.sum, [3, 30]);
  assert.deepEqual(out.avg, [1.5, 2]);
  assert.deepEqual(out.max, [1, 0]);
  assert.deepEqual(out.broadcast, [1, 1, 1]);
  const ranks1 = Array.from({ length: 24 }, (_, i) => i + 100);
  assert.deepEqual(out.broadcastChannelsLast, [ranks1, ranks1, [1, 1]]);
  assert.deepEqual(out.gather, [[0, 1], [2, 3]]);
  // Averages of i + rank over a channels-last tensor (logical order), and of two small tensors in other buckets.
  assert.deepEqual(out.coalesced, [Array.from({ length: 24 }, (_, i) => i + 0.5), [0.5, 1], [1]]);
});

test('2 processes with batch B take the same steps as 1 process with batch 2B', { timeout: 60_000 }, async () => {
  const [two, one] = await Promise.all([all(startRanks(2, [WORKER, 'train', '8', '6'], await freePort())), all(startRanks(1, [WORKER, 'train', '16', '6'], 0, { env: { RANK: '', WORLD_SIZE: '' } }))]);
  [...two, ...one].forEach(ok);
  const a = json(two[0]!).weights as number[], b = json(one[0]!).weights as number[];
  assert.equal(a.length, b.length);
  const diff = Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
  assert.ok(diff < 1e-5, `max weight difference ${diff}`);
  assert.ok(Math.max(...a.map(Math.abs)) > 0.01, 'the weights are not all zero');
});

test('with BatchNorm: synchronised, 2 processes with batch B take 1 process\'s steps with batch 2B; per rank, they do not', { timeout: 60_000 }, async () => {
  const run = async (bn: string) => {
    const [two, one] = await Promise.all([all(startRanks(2, [WORKER, 'train', '8', '6', bn], await freePort())), all(startRanks(1, [WORKER, 'train', '16', '6', bn], 0, { env: { RANK: '', WORLD_SIZE: '' } }))]);
    [...two, ...one].forEach(ok);
    const a = json(two[0]!).weights as number[], b = json(one[0]!).weights as number[];
    assert.equal(a.length, b.length);
    // Weights, then BatchNorm's running mean and variance.
    return Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
  };
  const synced = await run('sync'), local = await run('local');
  assert.ok(synced < 1e-5, `synchronised: max difference ${synced}`);
  assert.ok(local > 1e-3, `per-rank statistics: max difference ${local} (expected a visible one)`);
});

test('averaging gradients 200 times leaves no tensor behind; votes are summed', { timeout: 60_000 }, async () => {
  const exits = await all(startRanks(2, [WORKER, 'leak'], await freePort()));
  exits.forEach(ok);
  const out = json(exits[0]!);
  assert.equal(out.live[1], out.live[0]);
  assert.equal(out.votes, 2);
  assert.deepEqual(out.grad, [3, 3]);
});

test('a killed rank makes the other exit with an error naming it, within seconds', { timeout: 60_000 }, async () => {
  const [r0, r1] = await all(startRanks(2, [WORKER, 'die'], await freePort()));
  assert.equal(r1!.signal, 'SIGKILL');
  assert.equal(r0!.code, 1, r0!.stderr);
  assert.match(r0!.stderr, /allReduce failed on rank 0 of 2: rank 1 \(pid \d+\) ended/);
  assert.ok(r0!.ms < 15_000, `rank 0 took ${r0!.ms} ms`);
});

test('a rank started with another WORLD_SIZE is named', { timeout: 60_000 }, async () => {
  const exits = await all(startRanks(2, [WORKER, 'collectives'], await freePort(), { worldSizeOf: (r) => (r === 1 ? 3 : 2) }));
  assert.equal(exits[1]!.code, 1);
  assert.match(exits[1]!.stderr, /rank 0 was started with WORLD_SIZE=2, this rank with 3/);
  assert.equal(exits[0]!.code, 1);
  assert.match(exits[0]!.stderr, /rank 1 was started with WORLD_SIZE=3, this rank with 2/);
});

test('a port in use and a rank that never comes are clear errors', { timeout: 60_000 }, async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '0.0.0.0', r));
  const port = (busy.address() as { port: number }).port;
  try {
    const [r0] = await all(startRanks(1, [WORKER, 'collectives'], port, { env: { WORLD_SIZE: '2' } }));
    assert.equal(r0!.code, 1);
    assert.match(r0!.stderr, new RegExp(`rank 0 of 2: cannot host the store on 127.0.0.1:${port} \\(is the port in use`));
  } finally {
    busy.close();
  }
  const [alone] = await all(startRanks(1, [WORKER, 'collectives'], await freePort(), { env: { WORLD_SIZE: '2', SELFSUP_DIST_TIMEOUT: '1' } }));
  assert.equal(alone!.code, 1);
  assert.match(alone!.stderr, /rank 0 of 2: rank 1 did not join 127\.0\.0\.1:\d+ within 1 s/);
});

test('the environment contract: absent is one process; bad values are clear errors', () => {
  assert.equal(readDistEnv({}), null);
  assert.deepEqual(readDistEnv({ RANK: '1', WORLD_SIZE: '2', MASTER_PORT: '1234' }), {
    rank: 1, worldSize: 2, localRank: 1, masterAddr: '127.0.0.1', masterPort: 1234, timeoutMs: 300_000,
  });
  assert.throws(() => readDistEnv({ RANK: '2', WORLD_SIZE: '2' }), /RANK=2 is not below WORLD_SIZE=2/);
  assert.throws(() => readDistEnv({ RANK: '0' }), /RANK and WORLD_SIZE must be set together/);
  assert.throws(() => readDistEnv({ RANK: 'x', WORLD_SIZE: '2' }), /RANK must be an integer/);
});
