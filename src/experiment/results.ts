// results.json of an experiment (src/artifacts/experiment.ts) and its terminal table (the
// report's: rows the methods; columns the linear probes per layer, GAP, kNN, low-shot and, where
// the method learned from clusters, their NMI with the labels).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import { buildInfo } from '../engine/index.js';
import { writeFileAtomic } from '../io/atomic.js';
import { packageVersion } from '../util/package_root.js';
import {
  EXPERIMENT_RESULTS_FORMAT, EXPERIMENT_RESULTS_VERSION, RESULTS_FILE, readExperimentResults,
  type EvalResultsJson, type ExperimentResults, type MethodResults, type SeedResults, type StageRecord,
} from '../artifacts/index.js';
import { paperTable, tableCells } from '../report/index.js';
import type { ExperimentConfig } from './config.js';
import type { Plan, PlannedMethod } from './plan.js';
import type { StageDone } from './stages.js';

/** The experiment's config with every stage's options resolved (defaults filled in). */
function resolvedConfig(c: ExperimentConfig): Record<string, unknown> {
  return {
    name: c.name, ...(c.description ? { description: c.description } : {}), ...(c.seeds ? { seeds: c.seeds } : {}), data: c.data,
    methods: Object.fromEntries(c.methods.map((m) => [m.name, { label: m.label, ...(m.from ? { from: m.from } : {}), ...m.stages }])),
  };
}

export function experimentResults(config: ExperimentConfig, plan: Plan, records: Map<string, StageRecord>, done: Map<string, StageDone>, run: { started: string; threads: number }): ExperimentResults {
  const runResults = (m: PlannedMethod): SeedResults => {
    const statuses = Object.values(m.stages).map((id) => records.get(id)!.status);
    const status = statuses.some((s) => s === 'failed' || s === 'skipped') ? 'failed' : statuses.every((s) => s === 'done' || s === 'reused') ? 'done' : 'partial';
    const r: SeedResults = { stages: m.stages, status };
    const ev = m.stages.eval && done.get(m.stages.eval)?.result;
    if (ev) r.eval = ev as unknown as EvalResultsJson;
    const cl = m.stages.cluster && done.get(m.stages.cluster)?.result;
    if (cl) r.clusters = cl as MethodResults['clusters'];
    return r;
  };
  // With seeds, a method's own fields are its first seed's, and `seeds` holds every seed's.
  const methods: Record<string, MethodResults> = {};
  for (const m of plan.methods) {
    const r = runResults(m);
    const first = methods[m.name];
    if (m.seed === undefined) methods[m.name] = { label: m.label, ...r };
    else if (!first) methods[m.name] = { label: m.label, ...r, seeds: { [m.seed]: r } };
    else {
      first.seeds![m.seed] = r;
      const all = Object.values(first.seeds!).map((x) => x.status);
      first.status = all.includes('failed') ? 'failed' : all.every((x) => x === 'done') ? 'done' : 'partial';
    }
  }
  const stages = plan.stages.map((s) => records.get(s.id)!);
  return {
    format: EXPERIMENT_RESULTS_FORMAT, version: EXPERIMENT_RESULTS_VERSION, name: config.name, configFile: config.file, config: resolvedConfig(config),
    versions: { selfsup: packageVersion(), node: process.version, libtorch: buildInfo().torchVersion },
    threads: run.threads, started: run.started, updated: new Date().toISOString(),
    complete: stages.every((s) => s.status === 'done' || s.status === 'reused'),
    data: plan.data, stages, methods,
  };
}

/**
 * The seeds DIR/results.json shows (none without one). One that cannot be read shows none: the
 * run rewrites it from the stages.
 */
export function resultsSeeds(dir: string): number[] {
  if (!existsSync(join(dir, RESULTS_FILE))) return [];
  try {
    const r = readExperimentResults(dir);
    return [...new Set(Object.values(r.methods).flatMap((m) => Object.keys(m.seeds ?? {}).map(Number)))].filter((s) => Number.isInteger(s) && s >= 0);
  } catch {
    return [];
  }
}

export function writeResults(dir: string, r: ExperimentResults): void {
  writeFileAtomic(join(dir, RESULTS_FILE), JSON.stringify(r, null, 2) + '\n');
}

/** The paper's table of an experiment's results, as the report shows it (methods without results yet: —). */
export function resultsTableText(r: ExperimentResults): string {
  const { head, rows } = tableCells(paperTable(r));
  const table = new Table({ head, style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' }, colAligns: head.map((_, i) => (i === 0 ? 'left' : 'right')) });
  const status = Object.values(r.methods).map((m) => m.status);
  rows.forEach((row, i) => table.push([row[0]! + (status[i] === 'done' ? '' : ` [${status[i]}]`), ...row.slice(1)]));
  return `top-1 accuracy (%) on the test split; NMI (0..1) of the clusters a target learned from, with the true labels\n${table.toString()}`;
}
