// Distributed k-means: 2 and 3 ranks, each holding a contiguous shard of the rows, give the
// centroids, labels and inertia of one process on the whole matrix from the same start (given
// centroids, k-means++ on every row or on a sample, random rows, mini-batch), within float rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setNumThreads } from '../../src/engine/index.js';
import { readNpy, writeNpy } from '../../src/io/index.js';
import { shardRange } from '../../src/cluster/shard.js';
import { freePort, startRank, startRanks } from '../helpers/ranks.js';
import { MAIN } from '../helpers/cli.js';
import { tempFolders } from '../helpers/tmp.js';
import { BLOBS, runAll, scenarios, type Outcome } from './sharded_worker.js';

const tmp = tempFolders('cluster-sharded');
const NO_GROUP = { RANK: '', WORLD_SIZE: '', SELFSUP_THREADS: '1' };
const selfsup = (args: string[]) => startRank([MAIN, ...args], NO_GROUP, 0, 60_000).exit;

const WORKER = fileURLToPath(new URL('./sharded_worker.js', import.meta.url));
const NAMES = Object.keys(scenarios());

async function ranks(world: number): Promise<Record<string, Outcome>> {
  const exits = await Promise.all(startRanks(world, [WORKER, ...NAMES], await freePort(), { deadlineMs: 50_000 }).map((r) => r.exit));
  for (const e of exits) assert.equal(e.code, 0, `rank ${e.rank}: ${e.stderr}`);
  return JSON.parse(exits[0]!.stdout.trim()) as Record<string, Outcome>;
}

function assertClose(got: number[], want: number[], what: string, rtol = 1e-5): void {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= rtol * (1 + Math.abs(want[i]!)), `${what}[${i}]: ${g} vs ${want[i]}`));
}

test('shardRange: contiguous ranges r N / W .. (r + 1) N / W covering every row', () => {
  assert.deepEqual([0, 1, 2].map((r) => shardRange(10, r, 3)), [{ start: 0, end: 3 }, { start: 3, end: 6 }, { start: 6, end: 10 }]);
  assert.deepEqual(shardRange(7, 0, 1), { start: 0, end: 7 });
});

for (const world of [2, 3]) {
  test(`${world} processes give one process's centroids, labels and inertia (every init, re-seeding, mini-batch)`, { timeout: 60_000 }, async () => {
    setNumThreads(1);
    const one = runAll(NAMES);
    const several = await ranks(world);
    for (const name of NAMES) {
      const a = several[name]!, b = one[name]!;
      assertClose(a.centroids, b.centroids, `${name} centroids`);
      assert.deepEqual(a.labels, b.labels, `${name} labels`);
      assertClose([a.inertia], [b.inertia], `${name} inertia`, 1e-9);
      assert.equal(a.iterations, b.iterations, `${name} iterations`);
      assert.equal(a.reseeded, b.reseeded, `${name} re-seeded`);
      assertClose(a.history, b.history, `${name} inertia history`, 1e-9);
    }
    assert.ok(one.given!.reseeded >= 1, 'the given start re-seeds an empty cluster');
  });
}

test('selfsup launch --nproc 2 -- cluster writes the folder one process writes (PCA, whitening, 2 runs)', { timeout: 90_000 }, async () => {
  const b = BLOBS();
  const features = join(tmp('in'), 'f.npy');
  writeNpy(features, b.data, [b.n, b.dim]);
  const args = (out: string) => ['cluster', '--features', features, '--k', '6', '--pca', '4', '--whiten', '--n-init', '2', '--seed', '9', '--out', out];
  const one = join(tmp('one'), 'c'), two = join(tmp('two'), 'c');
  const [r1, r2] = await Promise.all([selfsup(args(one)), selfsup(['launch', '--nproc', '2', '--', ...args(two)])]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stderr, /2 processes \(rank 0: rows 0\.\.299\)/);
  assert.equal(r2.stdout.match(/^inertia/gm)?.length, 1, 'rank 0 alone reports');
  const npy = (dir: string, f: string) => Array.from(readNpy(join(dir, f)).data as ArrayLike<number | bigint>, Number);
  assertClose(npy(two, 'centroids.npy'), npy(one, 'centroids.npy'), 'centroids');
  assert.deepEqual(npy(two, 'assignments.npy'), npy(one, 'assignments.npy'));
  const summary = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  const [s1, s2] = [summary(one), summary(two)];
  // The PCA comes from a covariance summed in another order: whitened rows agree to ~1e-6.
  assertClose([s2.inertia], [s1.inertia], 'inertia', 1e-5);
  assert.deepEqual([s2.iterations, s2.clusterSizes, s2.bestRun], [s1.iterations, s1.clusterSizes, s1.bestRun]);
});
