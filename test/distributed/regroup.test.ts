// Resuming with another number of processes: from an epoch's end the run goes on with the next
// epoch (2 processes x batch B then 1 x 2B ends as 1 x 2B that never stopped; 1 x B then 2 x B
// follows the 2-process schedule); from the middle of an epoch that epoch starts again, said so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startRanks, startRank, type Exit } from '../helpers/ranks.js';
import { tempFolders } from '../helpers/tmp.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
const tmp = tempFolders('regroup');

/** `worker.js run B EPOCHS STOP OUT RESUME` on `world` ranks; rank 0's exit. */
async function run(world: number, b: number, epochs: number, stop: number, out: string, resume: boolean): Promise<Exit & { weights: number[] }> {
  const args = [WORKER, 'run', String(b), String(epochs), String(stop), out, resume ? '1' : '0'];
  const ranks = world === 1 ? [startRank(args, { RANK: '', WORLD_SIZE: '' }, 0, 40_000)] : startRanks(world, args, await freePort());
  const exits = await Promise.all(ranks.map((r) => r.exit));
  for (const e of exits) assert.equal(e.code, 0, `rank ${e.rank}: ${e.stderr}`);
  return { ...exits[0]!, weights: JSON.parse(exits[0]!.stdout.trim()).weights };
}

const metrics = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const epochSteps = (out: string) => metrics(out).filter((m) => m.type === 'epoch').map((m) => m.step);
const lrs = (out: string, from: number) => metrics(out).filter((m) => m.type === 'step' && m.step > from).map((m) => m.lr);

function assertClose(got: number[], want: number[], what: string, tol = 1e-5): void {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= tol * (1 + Math.abs(want[i]!)), `${what}[${i}]: ${g} vs ${want[i]}`));
}

test('2 processes x batch 8 stopped at an epoch\'s end, resumed by 1 process x batch 16: as 1 x 16 that never stopped', { timeout: 60_000 }, async () => {
  const out = join(tmp('a'), 'run'), truth = join(tmp('a-truth'), 'run');
  await run(2, 8, 3, 4, out, false); // 64 images: 4 batches of 8 per rank, the first epoch
  const [resumed, never] = await Promise.all([run(1, 16, 3, 0, out, true), run(1, 16, 3, 0, truth, false)]);
  assert.match(resumed.stderr, /made by 2 processes \(batch 8, 4 batches per epoch each\), this run has 1 process \(batch 16, 4\); it continues at the start of epoch 2/);
  assertClose(resumed.weights, never.weights, 'weights');
  assert.deepEqual(epochSteps(out), [4, 8, 12]);
});

test('1 process stopped at an epoch\'s end, resumed by 2 processes with the same batch: the 2-process schedule', { timeout: 60_000 }, async () => {
  const out = join(tmp('b'), 'run'), truth = join(tmp('b-truth'), 'run');
  await run(1, 8, 2, 8, out, false); // 8 batches of 8 per epoch
  const [resumed] = await Promise.all([run(2, 8, 2, 0, out, true), run(2, 8, 2, 0, truth, false)]);
  assert.match(resumed.stderr, /made by 1 process \(batch 8, 8 batches per epoch each\), this run has 2 processes \(batch 8, 4\); it continues at the start of epoch 2/);
  assert.deepEqual(epochSteps(out), [8, 12]);
  // Epoch 2 of a 2-process run is its steps 5..8: the same learning rates.
  assertClose(lrs(out, 8), lrs(truth, 4), 'learning rates', 1e-12);
  assert.ok(lrs(truth, 4)[0]! < lrs(truth, 0)[0]!, 'the schedule moved');
});

test('a checkpoint in the middle of an epoch, resumed by another number of processes: the epoch starts again', { timeout: 60_000 }, async () => {
  const out = join(tmp('c'), 'run');
  await run(2, 8, 2, 2, out, false);
  const resumed = await run(1, 16, 2, 0, out, true);
  assert.match(resumed.stderr, /it stopped after batch 2 of epoch 1, which another number of processes cannot continue exactly: epoch 1 starts again from its first batch \(the weights keep the 2 steps already taken in it\)/);
  assert.deepEqual(epochSteps(out), [6, 10]);
});
