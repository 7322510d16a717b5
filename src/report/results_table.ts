// The paper's table from an experiment's results: a row per method; columns the linear probe of
// each tap (pooled to about D values), GAP (the last tap's global-pool probe), kNN top-1 per k,
// low-shot top-1 per setting (mean ± std over the draws) and the NMI of the method's clusters.
// Accuracies in percent.
import type { ExperimentResults, MethodResults } from '../artifacts/experiment.js';

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

export function paperTable(r: ExperimentResults): PaperTable {
  const taps: string[] = [];
  const knn: string[] = [];
  const lowshot: string[] = [];
  const gapHeads = new Set<string>();
  const add = (list: string[], c: string) => void (list.includes(c) || list.push(c));
  const rows = Object.entries(r.methods).map(([method, m]): MethodRow => {
    const row: MethodRow = { method, label: m.label, status: m.status, taps: {}, knn: {}, lowshot: {} };
    const e = m.eval;
    for (const h of e?.linear ?? []) {
      if (h.name.endsWith(':gap')) continue;
      add(taps, h.name);
      row.taps[h.name] = pct(h.top1);
    }
    const gap = e?.linear?.filter((h) => h.name.endsWith(':gap')).at(-1);
    if (gap) {
      row.gap = { head: gap.name, top1: pct(gap.top1) };
      gapHeads.add(gap.name);
    }
    for (const k of e?.knn?.results ?? []) {
      add(knn, `k=${k.k}`);
      row.knn[`k=${k.k}`] = pct(k.top1);
    }
    for (const l of e?.lowshot?.results ?? []) {
      const h = l.heads[0];
      if (!h) continue;
      add(lowshot, l.setting);
      // JSON has null for the NaN std of a single draw.
      row.lowshot[l.setting] = { mean: pct(h.mean), std: typeof h.std === 'number' ? pct(h.std) : NaN };
    }
    if (m.clusters?.nmi !== undefined) row.nmi = m.clusters.nmi;
    return row;
  });
  return { taps, gapHeads: [...gapHeads], knn, lowshot, hasNmi: rows.some((x) => x.nmi !== undefined), rows };
}

const f1 = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(1));

/** The table as header and text cells (what the page and a terminal show). */
export function tableCells(t: PaperTable): { head: string[]; rows: string[][] } {
  const gap = t.gapHeads.length === 1 ? `GAP (${t.gapHeads[0]!.replace(/:gap$/, '')})` : 'GAP';
  const head = ['method', ...t.taps, ...(t.gapHeads.length ? [gap] : []), ...t.knn.map((k) => `kNN ${k}`), ...t.lowshot.map((s) => `low-shot ${s}`), ...(t.hasNmi ? ['NMI'] : [])];
  const rows = t.rows.map((r) => [
    r.label === r.method ? r.method : `${r.method}: ${r.label}`,
    ...t.taps.map((c) => f1(r.taps[c])),
    ...(t.gapHeads.length ? [f1(r.gap?.top1)] : []),
    ...t.knn.map((k) => f1(r.knn[k])),
    ...t.lowshot.map((s) => {
      const l = r.lowshot[s];
      return l === undefined ? '—' : Number.isNaN(l.std) ? l.mean.toFixed(1) : `${l.mean.toFixed(1)} ± ${l.std.toFixed(1)}`;
    }),
    ...(t.hasNmi ? [r.nmi === undefined ? '—' : r.nmi.toFixed(3)] : []),
  ]);
  return { head, rows };
}
