// The paper's table from an experiment's results: a row per method; columns the linear probe of
// each tap (pooled to about D values), GAP (the last tap's global-pool probe), kNN top-1 per k,
// low-shot top-1 per setting (mean ± std over the draws) and the NMI of the method's clusters.
// Accuracies in percent. With seeds every figure is the mean over the seeds, ± their sample
// standard deviation (low-shot: of each seed's mean over its draws).
import type { ExperimentResults, MethodResults, SeedResults } from '../artifacts/experiment.js';
import { markdownTable } from '../util/markdown.js';

export interface MethodRow {
  method: string;
  label: string;
  status: MethodResults['status'];
  /** tap -> top-1 %. */
  taps: Record<string, number>;
  /** The last ':gap' head and its top-1 %. */
  gap?: { head: string; top1: number };
  /** 'k=20' -> top-1 %. */
  knn: Record<string, number>;
  /** 'N=10' -> mean and std of top-1 % (std NaN for one draw). */
  lowshot: Record<string, { mean: number; std: number }>;
  nmi?: number;
  /** With seeds: how many seeds the figures come from (those evaluated; before any is, those
   *  clustered), and the std over them of each figure above
   *  (keys 'tap:NAME', 'gap', 'knn:k=K', 'nmi'; low-shot's std is in `lowshot`). */
  seeds?: number;
  spread?: Record<string, number>;
}

export interface PaperTable {
  /** Tap columns in network order (first method that has them first). */
  taps: string[];
  /** The GAP heads used, one per method that has one. */
  gapHeads: string[];
  knn: string[];
  lowshot: string[];
  hasNmi: boolean;
  rows: MethodRow[];
}

const pct = (x: number) => 100 * x;

/** Mean and sample standard deviation (NaN for one value). */
function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : NaN;
  return { mean, std };
}

/** One run's figures, keyed as MethodRow.spread. */
function figures(m: SeedResults): { values: Record<string, number>; gapHead?: string; lowshot: Record<string, { mean: number; std: number }> } {
  const values: Record<string, number> = {};
  const lowshot: Record<string, { mean: number; std: number }> = {};
  const e = m.eval;
  for (const h of e?.linear ?? []) if (!h.name.endsWith(':gap')) values[`tap:${h.name}`] = pct(h.top1);
  const gap = e?.linear?.filter((h) => h.name.endsWith(':gap')).at(-1);
  if (gap) values.gap = pct(gap.top1);
  for (const k of e?.knn?.results ?? []) values[`knn:k=${k.k}`] = pct(k.top1);
  for (const l of e?.lowshot?.results ?? []) {
    const h = l.heads[0];
    // JSON has null for the NaN std of a single draw.
    if (h) lowshot[l.setting] = { mean: pct(h.mean), std: typeof h.std === 'number' ? pct(h.std) : NaN };
  }
  if (m.clusters?.nmi !== undefined) values.nmi = m.clusters.nmi;
  return { values, ...(gap ? { gapHead: gap.name } : {}), lowshot };
}

export function paperTable(r: ExperimentResults): PaperTable {
  const taps: string[] = [];
  const knn: string[] = [];
  const lowshot: string[] = [];
  const gapHeads = new Set<string>();
  const add = (list: string[], c: string) => void (list.includes(c) || list.push(c));
  const rows = Object.entries(r.methods).map(([method, m]): MethodRow => {
    const row: MethodRow = { method, label: m.label, status: m.status, taps: {}, knn: {}, lowshot: {} };
    const all = (m.seeds ? Object.values(m.seeds) : [m]).map(figures).filter((f) => Object.keys(f.values).length || Object.keys(f.lowshot).length);
    // A row's figures all come from the same seeds: those evaluated, when any is (a seed whose
    // clusters are made but whose target is not yet evaluated adds nothing, not even its NMI).
    const evaluated = all.filter((f) => Object.keys(f.values).some((k) => k !== 'nmi') || Object.keys(f.lowshot).length);
    const runs = evaluated.length ? evaluated : all;
    const keys = [...new Set(runs.flatMap((f) => Object.keys(f.values)))];
    const values: Record<string, number> = {};
    const spread: Record<string, number> = {};
    for (const k of keys) {
      const { mean, std } = meanStd(runs.flatMap((f) => (k in f.values ? [f.values[k]!] : [])));
      values[k] = mean;
      spread[k] = std;
    }
    for (const [k, v] of Object.entries(values)) {
      const [kind, name] = [k.slice(0, k.indexOf(':')), k.slice(k.indexOf(':') + 1)];
      const [list, cells] = kind === 'tap' ? [taps, row.taps] : kind === 'knn' ? [knn, row.knn] : [null, null];
      if (!list || !cells) continue;
      add(list, name);
      cells[name] = v;
    }
    const gapHead = runs.find((f) => f.gapHead)?.gapHead;
    if (gapHead && values.gap !== undefined) {
      row.gap = { head: gapHead, top1: values.gap };
      gapHeads.add(gapHead);
    }
    for (const setting of [...new Set(runs.flatMap((f) => Object.keys(f.lowshot)))]) {
      add(lowshot, setting);
      const per = runs.flatMap((f) => (f.lowshot[setting] ? [f.lowshot[setting]] : []));
      row.lowshot[setting] = m.seeds ? meanStd(per.map((x) => x.mean)) : per[0]!;
    }
    if (values.nmi !== undefined) row.nmi = values.nmi;
    if (m.seeds) {
      row.seeds = runs.length;
      row.spread = spread;
    }
    return row;
  });
  return { taps, gapHeads: [...gapHeads], knn, lowshot, hasNmi: rows.some((x) => x.nmi !== undefined), rows };
}

/** A figure, ± its spread over seeds or draws where there is one. */
const withSpread = (x: number | undefined, std: number | undefined, digits = 1) =>
  x === undefined ? '—' : std === undefined || Number.isNaN(std) ? x.toFixed(digits) : `${x.toFixed(digits)} ± ${std.toFixed(digits)}`;

/** The table as header and text cells (what the page and a terminal show). */
export function tableCells(t: PaperTable): { head: string[]; rows: string[][] } {
  const gap = t.gapHeads.length === 1 ? `GAP (${t.gapHeads[0]!.replace(/:gap$/, '')})` : 'GAP';
  const head = ['method', ...t.taps, ...(t.gapHeads.length ? [gap] : []), ...t.knn.map((k) => `kNN ${k}`), ...t.lowshot.map((s) => `low-shot ${s}`), ...(t.hasNmi ? ['NMI'] : [])];
  const rows = t.rows.map((r) => [
    (r.label === r.method ? r.method : `${r.method}: ${r.label}`) + (r.seeds !== undefined ? ` (${r.seeds} seed${r.seeds === 1 ? '' : 's'})` : ''),
    ...t.taps.map((c) => withSpread(r.taps[c], r.spread?.[`tap:${c}`])),
    ...(t.gapHeads.length ? [withSpread(r.gap?.top1, r.spread?.gap)] : []),
    ...t.knn.map((k) => withSpread(r.knn[k], r.spread?.[`knn:${k}`])),
    ...t.lowshot.map((s) => withSpread(r.lowshot[s]?.mean, r.lowshot[s]?.std)),
    ...(t.hasNmi ? [withSpread(r.nmi, r.spread?.nmi, 3)] : []),
  ]);
  return { head, rows };
}

/** The table as Markdown, as docs/results.md shows it. */
export function markdownResults(r: ExperimentResults): string {
  const { head, rows } = tableCells(paperTable(r));
  return markdownTable(head, rows);
}
