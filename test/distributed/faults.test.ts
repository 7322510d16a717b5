// Faults inside a group: a rank that hangs is named by the others when their collective times
// out; a loss that is not finite on one rank stops every rank at the same step, naming that rank.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { freePort, startRanks } from '../helpers/ranks.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

test('a hung rank: the other names it after SELFSUP_DIST_TIMEOUT', { timeout: 60_000 }, async () => {
  const ranks = startRanks(2, [WORKER, 'hang'], await freePort(), { env: { SELFSUP_DIST_TIMEOUT: '3' } });
  const e0 = await ranks[0]!.exit;
  ranks[1]!.child.kill('SIGKILL');
  await ranks[1]!.exit;
  assert.equal(e0.code, 1);
  assert.match(e0.stderr, /allReduce failed on rank 0 of 2: rank 1 \(pid \d+\) did not take part within 3 s \(hung, or busy elsewhere\)/);
  assert.ok(e0.ms < 20_000, `${e0.ms} ms`);
});

test('a loss that is not finite on rank 1 stops both ranks at that step, naming rank 1', { timeout: 60_000 }, async () => {
  const exits = await Promise.all(startRanks(2, [WORKER, 'nan'], await freePort()).map((r) => r.exit));
  for (const e of exits) {
    assert.equal(e.code, 1, `rank ${e.rank}: ${e.stderr}`);
    assert.match(e.stderr, /training stopped: the loss is not finite on rank 1 of 2 at step 3 \(epoch 1, batch 3\)/, `rank ${e.rank}`);
  }
});
