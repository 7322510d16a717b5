// An experiment over seeds end to end: seed 1 of `--seeds 0,1` computes what a run without seeds
// computes with every seed of the chain set to 1 by hand; the table shows the mean over both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getNumThreads } from '../../src/engine/index.js';
import { readExperimentResults, type SeedResults } from '../../src/artifacts/index.js';
import { paperTable, tableCells } from '../../src/report/index.js';
import { selfsup } from '../helpers/cli.js';
import { tempFolders } from '../helpers/tmp.js';
import { tinyExperiment } from './helpers.js';

const tmp = tempFolders('experiment-seeds');

/** A run's figures without its times. */
const figures = (r: SeedResults) => JSON.stringify({ eval: { ...r.eval, seconds: undefined }, clusters: r.clusters });

test('--seeds 0,1: seed 1 equals the chain run with its seeds set to 1; the table is the mean ± std of both', () => {
  const file = tinyExperiment(tmp('exp'));
  const run = (out: string, args: string[]) => {
    const r = selfsup(['run', file, '--quiet', '--only', 'cc_hog', '--out', out, ...args], { threads: getNumThreads() });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const seededDir = tmp('seeded');
  const stdout = run(seededDir, ['--seeds', '0,1']);
  const seeded = readExperimentResults(seededDir);
  const cc = seeded.methods.cc_hog!;
  assert.deepEqual(Object.keys(cc.seeds ?? {}), ['0', '1']);
  assert.equal(cc.status, 'done');
  const byHand = tmp('by-hand');
  run(byHand, ['--set', ['cluster', 'transfer', 'eval'].map((k) => `methods.cc_hog.${k}.seed=1`).join(',')]);
  const one = readExperimentResults(byHand).methods.cc_hog!;
  assert.equal(figures(cc.seeds!['1']!), figures(one));
  assert.notEqual(figures(cc.seeds!['0']!), figures(one), 'the two seeds differ, so the comparison can fail');
  // The method's own fields are seed 0's, and the table row is the mean of the two.
  assert.equal(figures(cc), figures(cc.seeds!['0']!));
  const row = tableCells(paperTable(seeded)).rows.find((r) => r[0]!.startsWith('cc_hog '))!;
  const knn = [0, 1].map((s) => 100 * cc.seeds![s]!.eval!.knn!.results[0]!.top1);
  const cell = `${((knn[0]! + knn[1]!) / 2).toFixed(1)} ± ${(Math.abs(knn[0]! - knn[1]!) / Math.SQRT2).toFixed(1)}`;
  assert.equal(row[0], 'cc_hog (2 seeds)');
  assert.ok(row.includes(cell), `${cell} in ${row.join(' | ')}`);
  assert.ok(stdout.includes(cell), 'the terminal table is the same');
});

test('--seeds 0, then --seeds 1, in one folder: results.json shows both; a seed no method finished under the config drops out', () => {
  const file = tinyExperiment(tmp('exp-merge'));
  const dir = tmp('merged');
  const run = (args: string[]) => {
    const r = selfsup(['run', file, '--quiet', '--only', 'cc_hog', '--out', dir, ...args], { threads: getNumThreads() });
    assert.equal(r.status, 0, r.stderr);
    return r;
  };
  run(['--seeds', '0']);
  const first = readExperimentResults(dir).methods.cc_hog!;
  const second = run(['--seeds', '1']);
  assert.match(second.stderr, /results\.json keeps seed 0, finished by an earlier run/);
  const both = readExperimentResults(dir);
  const cc = both.methods.cc_hog!;
  assert.deepEqual(Object.keys(cc.seeds ?? {}), ['0', '1']);
  assert.equal(cc.status, 'done');
  assert.deepEqual(both.config.seeds, [0, 1]);
  assert.equal(figures(cc.seeds!['0']!), figures(first.seeds!['0']!), 'seed 0 as its own run left it');
  assert.equal(both.stages.find((s) => s.id === cc.seeds!['0']!.stages.transfer)!.status, 'reused');
  const row = tableCells(paperTable(both)).rows.find((r) => r[0]!.startsWith('cc_hog '))!;
  assert.equal(row[0], 'cc_hog (2 seeds)');
  assert.ok(second.stdout.includes('cc_hog (2 seeds)'), second.stdout);
  // Another transfer: seed 0's run of cc_hog is not finished under this config (nor any other
  // method's), so results.json shows seed 1 alone.
  const changed = run(['--seeds', '1', '--set', 'methods.cc_hog.transfer.epochs=2']);
  assert.doesNotMatch(changed.stderr, /keeps seed/);
  const one = readExperimentResults(dir);
  assert.deepEqual(Object.keys(one.methods.cc_hog!.seeds ?? {}), ['1']);
  assert.equal(one.methods.cc_hog!.status, 'done');
});
