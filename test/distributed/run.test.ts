// The experiment runner over a group: `launch --nproc 2 -- run` runs the training, features,
// k-means and evaluation stages on both ranks and the others on rank 0, which alone writes;
// what does not train equals one process's, and a second run reuses every stage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAIN } from '../helpers/cli.js';
import { startRank } from '../helpers/ranks.js';
import { jsonFile } from '../helpers/runs.js';
import { tempFolders } from '../helpers/tmp.js';
import { tinyExperiment } from '../experiment/helpers.js';

const tmp = tempFolders('dist-run');
const NO_GROUP = { RANK: '', WORLD_SIZE: '', SELFSUP_THREADS: '1' };
const selfsup = (args: string[]) => startRank([MAIN, ...args], NO_GROUP, 0, 180_000).exit;

interface Results { stages: { id: string; kind: string; status: string; methods: string[] }[]; methods: Record<string, { eval?: unknown; clusters?: unknown }> }

test('run on 2 processes: every stage done once, HOG\'s evaluation and clusters equal one process\'s, a second run reuses all', { timeout: 300_000 }, async () => {
  const dir = tmp('exp');
  const file = tinyExperiment(dir);
  const two = join(dir, 'two'), one = join(dir, 'one');
  const a = await selfsup(['launch', '--nproc', '2', '--', 'run', file, '--out', two]);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stderr, /data parallel: 2 processes x batch 32 = global batch 64/);
  assert.match(a.stderr, /18 stages run, 0 reused, in/);
  assert.equal(a.stdout.match(/^results: /gm)?.length, 1, 'rank 0 alone prints the table and the paths');
  const b = await selfsup(['run', file, '--out', one, '--quiet']);
  assert.equal(b.code, 0, b.stderr);
  const r2 = jsonFile(join(two, 'results.json')) as Results, r1 = jsonFile(join(one, 'results.json')) as Results;
  assert.ok(r2.stages.every((s) => s.status === 'done'), JSON.stringify(r2.stages.map((s) => s.status)));
  assert.deepEqual(r2.stages.map((s) => s.id), r1.stages.map((s) => s.id), 'the same stages (keys do not depend on the processes)');
  // No training: the same figures. Trained with a global batch of 64: other weights.
  assert.deepEqual(r2.methods.hog!.eval, r1.methods.hog!.eval);
  assert.deepEqual(r2.methods.cc_hog!.clusters, r1.methods.cc_hog!.clusters);
  assert.notDeepEqual(r2.methods.rotation!.eval, r1.methods.rotation!.eval);
  const again = await selfsup(['launch', '--nproc', '2', '--', 'run', file, '--out', two]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /0 stages run, 18 reused/);
  assert.ok(readFileSync(join(two, 'report.html'), 'utf8').includes('cc_hog'));
});

test('run on 2 processes: a stage that fails fails on every rank, names it, and stops the run', { timeout: 120_000 }, async () => {
  const dir = tmp('fail');
  const file = tinyExperiment(dir);
  const out = join(dir, 'run');
  // More clusters than the 240 training rows: k-means refuses on both ranks.
  const r = await selfsup(['launch', '--nproc', '2', '--', 'run', file, '--out', out, '--only', 'cc_hog', '--set', 'methods.cc_hog.cluster.k=1000']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /cluster-[0-9a-f]+ +FAILED: rank 0: .*; rank 1: /);
  assert.match(r.stderr, /a failed stage stops a run of several processes; run the same command again to retry it/);
  const results = jsonFile(join(out, 'results.json')) as Results;
  // results.json holds every method's stages; cc_hog's chain is the one that ran.
  const status = Object.fromEntries(results.stages.filter((s) => s.methods.includes('cc_hog')).map((s) => [s.kind, s.status]));
  assert.deepEqual([status.data, status.features, status.cluster, status.transfer], ['done', 'done', 'failed', 'waiting']);
});
