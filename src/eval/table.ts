// Results of several evaluations side by side, in the paper's layout: a row per model; columns
// the probes of conv1..conv5 (each tap pooled to about D values), the last tap's global-pool
// probe (GAP), kNN, then low-shot (mean +- std over the draws). Top-1 accuracy in percent.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Table from 'cli-table3';
import { readManifest } from '../artifacts/manifest.js';
import type { EvalResults } from './stage.js';
import { markdownTable } from '../util/markdown.js';

export interface TableRow {
  model: string;
  folder: string;
  cells: Record<string, string>;
}

export interface ResultsTable {
  columns: string[];
  rows: TableRow[];
}

const pct = (x: number) => (100 * x).toFixed(1);

/** The evaluation folder of `path`: RUN/eval for a run folder, else the folder itself. */
export function evalFolder(path: string): string {
  const p = resolve(path);
  if (existsSync(join(p, 'eval')) && statSync(join(p, 'eval')).isDirectory()) return join(p, 'eval');
  return p;
}

/** Reads the results of each folder (RUN, RUN/eval or an --out folder) into one table. */
export function resultsTable(paths: readonly string[]): ResultsTable {
  const columns: string[] = [];
  const add = (c: string) => void (columns.includes(c) || columns.push(c));
  const rows = paths.map((path) => {
    const dir = evalFolder(path);
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^(linear|knn|lowshot)\.json$/.test(f)) : [];
    if (files.length === 0) throw new Error(`${path}: no evaluation results (no linear.json, knn.json or lowshot.json in ${dir}; run 'selfsup eval' first)`);
    const cells: Record<string, string> = {};
    let model = path;
    for (const f of ['linear.json', 'knn.json', 'lowshot.json'].filter((x) => files.includes(x))) {
      const m = readManifest(join(dir, f.replace(/\.json$/, '')), 'selfsup.evaluation', 1);
      const r = m.results as EvalResults;
      model = r.model;
      for (const [c, v] of Object.entries(resultCells(r))) {
        add(c);
        cells[c] = v;
      }
    }
    return { model, folder: dir, cells };
  });
  return { columns, rows };
}

/** The table cells of one evaluation, by column: conv taps, GAP, kNN K, N/class or a fraction. */
export function resultCells(r: Pick<EvalResults, 'linear' | 'knn' | 'lowshot'>): Record<string, string> {
  const cells: Record<string, string> = {};
  for (const h of r.linear ?? []) {
    if (h.name.endsWith(':gap')) continue;
    cells[h.name] = pct(h.top1);
  }
  const gap = r.linear?.filter((h) => h.name.endsWith(':gap')).at(-1);
  if (gap) {
    cells.GAP = pct(gap.top1);
  }
  for (const k of r.knn?.results ?? []) {
    const c = `kNN ${k.k}`;
    cells[c] = pct(k.top1);
  }
  for (const l of r.lowshot?.results ?? []) {
    const h = l.heads[0]!;
    const c = l.kind === 'perClass' ? `${l.value}/class` : l.setting;
    cells[c] = Number.isNaN(h.std) ? pct(h.mean) : `${pct(h.mean)} ± ${pct(h.std)}`;
  }
  return cells;
}

export function formatTable(t: ResultsTable, style: 'text' | 'markdown'): string {
  const head = ['model', ...t.columns];
  const body = t.rows.map((r) => [r.model, ...t.columns.map((c) => r.cells[c] ?? '')]);
  if (style === 'markdown') return markdownTable(head, body);
  const table = new Table({ head, style: { head: [], border: [] }, colAligns: head.map((_, i) => (i === 0 ? 'left' : 'right')) });
  for (const b of body) table.push(b);
  return table.toString();
}
