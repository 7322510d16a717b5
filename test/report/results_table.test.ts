// The paper's table over seeds: every figure the mean over the seeds evaluated, ± the sample
// standard deviation, values worked out by hand; a method without seeds keeps its draws' spread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EvalResultsJson, ExperimentResults, SeedResults } from '../../src/artifacts/index.js';
import { paperTable, tableCells } from '../../src/report/index.js';

/** One run's evaluation: conv5 probe, its GAP probe, kNN k=20, 10-shot over two draws. */
function run(conv5: number, gap: number, knn: number, draws: [number, number], nmi?: number): SeedResults {
  const mean = (draws[0] + draws[1]) / 2;
  const ev = {
    model: 'm', arch: 'alexnet_s', classes: 10, trainImages: 100, testImages: 10, seconds: {},
    linear: [conv5, gap].map((top1, i) => ({ name: i ? 'conv5:gap' : 'conv5', top1, trainLoss: 0, trainAccuracy: 0, trainSize: 100, epochs: 1, steps: 1 })),
    knn: { head: 'conv5:gap', results: [{ k: 20, top1: knn, top5: null }] },
    lowshot: { head: 'conv5', results: [{ setting: 'N=10', kind: 'perClass', value: 10, trainSize: 100, epochs: 1, heads: [{ name: 'conv5', top1: draws, mean, std: Math.abs(draws[0] - draws[1]) / Math.SQRT2 }] }] },
  } as EvalResultsJson;
  return { stages: {}, status: 'done', eval: ev, ...(nmi !== undefined ? { clusters: { k: 4, n: 100, sizes: [25, 25, 25, 25], nmi } } : {}) };
}

const results = (methods: ExperimentResults['methods']) => ({ methods }) as unknown as ExperimentResults;

test('with seeds: mean ± sample std over the seeds that have figures; low-shot over the seeds\' means', () => {
  const s0 = run(0.9, 0.75, 0.8, [0.7, 0.72], 0.5);
  const seeds = { 0: s0, 1: run(0.92, 0.77, 0.82, [0.74, 0.76], 0.52), 2: run(0.94, 0.79, 0.84, [0.78, 0.8], 0.54), 3: { stages: {}, status: 'partial' as const } };
  const t = paperTable(results({ cc: { label: 'CC', ...s0, status: 'partial', seeds } }));
  const row = t.rows[0]!;
  assert.equal(row.seeds, 3, 'the seed without figures yet is left out');
  // conv5 90, 92, 94: mean 92, sample std sqrt((4 + 0 + 4) / 2) = 2.
  assert.ok(Math.abs(row.taps.conv5! - 92) < 1e-9 && Math.abs(row.spread!['tap:conv5']! - 2) < 1e-9);
  assert.ok(Math.abs(row.knn['k=20']! - 82) < 1e-9 && Math.abs(row.spread!['knn:k=20']! - 2) < 1e-9);
  // 10-shot means per seed 71, 75, 79: mean 75, std 4 (the draws' own spread is not in it).
  assert.ok(Math.abs(row.lowshot['N=10']!.mean - 75) < 1e-9 && Math.abs(row.lowshot['N=10']!.std - 4) < 1e-9);
  assert.ok(Math.abs(row.nmi! - 0.52) < 1e-12 && Math.abs(row.spread!.nmi! - 0.02) < 1e-12);
  const { head, rows } = tableCells(t);
  assert.deepEqual(head, ['method', 'conv5', 'GAP (conv5)', 'kNN k=20', 'low-shot N=10', 'NMI']);
  assert.deepEqual(rows[0], ['cc: CC (3 seeds)', '92.0 ± 2.0', '77.0 ± 2.0', '82.0 ± 2.0', '75.0 ± 4.0', '0.520 ± 0.020']);
});

test('a seed with clusters but no evaluation yet adds nothing to the row, not even its NMI', () => {
  const s0 = run(0.9, 0.75, 0.8, [0.7, 0.72], 0.5);
  const clustered: SeedResults = { stages: {}, status: 'partial', clusters: { k: 4, n: 100, sizes: [25, 25, 25, 25], nmi: 0.7 } };
  const row = paperTable(results({ cc: { label: 'CC', ...s0, status: 'partial', seeds: { 0: s0, 1: clustered } } })).rows[0]!;
  assert.equal(row.seeds, 1);
  assert.equal(row.nmi, 0.5);
  assert.ok(Number.isNaN(row.spread!.nmi!), 'one seed: no spread');
  // Only clustered so far: the NMI is the row.
  const only = paperTable(results({ cc: { label: 'CC', ...clustered, seeds: { 1: clustered } } })).rows[0]!;
  assert.equal(only.seeds, 1);
  assert.equal(only.nmi, 0.7);
});

test('one seed has no spread; without seeds a row is its one run, low-shot ± its draws', () => {
  const one = run(0.9, 0.75, 0.8, [0.7, 0.72]);
  const rows = tableCells(paperTable(results({ a: { label: 'a', ...one, seeds: { 4: one } }, b: { label: 'B', ...one } }))).rows;
  assert.deepEqual(rows[0], ['a (1 seed)', '90.0', '75.0', '80.0', '71.0']);
  assert.deepEqual(rows[1], ['b: B', '90.0', '75.0', '80.0', '71.0 ± 1.4'], 'the draws\' std as stored: 2 / sqrt(2)');
});
