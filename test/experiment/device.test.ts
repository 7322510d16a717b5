// selfsup run --device: a missing CUDA device fails before the experiment folder is made, and the
// runner hands the device to every stage that runs a network or k-means (training, features,
// cluster, eval, retrievals): each of them, run with 'cuda' here, stops with the device's error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildPlan, loadExperiment, runExperiment } from '../../src/experiment/index.js';
import { artifactOf, runStage, type StageContext } from '../../src/experiment/stages.js';
import { tempFolders } from '../helpers/tmp.js';
import { CUDA_MISSING, skipWithCuda } from '../helpers/device.js';
import { tinyExperiment } from './helpers.js';

const tmp = tempFolders('experiment-device');

test('run --device cuda without CUDA: an error before anything is written; every network stage gets the device', { skip: skipWithCuda }, async () => {
  const file = tinyExperiment(tmp('exp'));
  const out = join(tmp('run'), 'out');
  await assert.rejects(runExperiment({ config: file, out, device: 'cuda', quiet: true, log: () => {}, print: () => {} }), CUDA_MISSING);
  assert.ok(!existsSync(out), 'no experiment folder');

  const plan = buildPlan(loadExperiment(file));
  const ctx: StageContext = { dir: tmp('stages'), stages: new Map(plan.stages.map((s) => [s.id, s])), quiet: true, device: 'cuda' };
  for (const s of plan.stages.filter((x) => x.kind === 'data')) await runStage(ctx, s); // the caches run on the CPU
  const kinds = new Set<string>();
  for (const s of plan.stages.filter((x) => x.kind !== 'data')) {
    await assert.rejects(runStage(ctx, s), CUDA_MISSING, s.id);
    assert.ok(!existsSync(artifactOf(ctx, s.id)), `${s.id} wrote nothing`);
    kinds.add(s.kind);
  }
  assert.deepEqual([...kinds].sort(), ['cluster', 'eval', 'features', 'pretext', 'retrievals', 'transfer']);
});
