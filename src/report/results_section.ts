// The results table and its charts: linear top-1 per layer, kNN and low-shot per method.
import { figure, note, table, type Section } from './html.js';
import { groupedBars, layerChart, renderSvg } from './charts.js';
import { paperTable, tableCells } from './results_table.js';
import type { ReportContext } from './stages.js';

export async function resultsSection(ctx: ReportContext): Promise<Section> {
  const t = paperTable(ctx.results);
  const evaluated = t.rows.filter((r) => Object.keys(r.taps).length || r.gap || Object.keys(r.knn).length || Object.keys(r.lowshot).length);
  if (evaluated.length === 0 && !t.hasNmi) {
    return { id: 'results', title: 'Results', body: note('No evaluation results yet (not run yet, or the data has no labels to evaluate with).') };
  }
  const { head, rows } = tableCells(t);
  const parts = [table(head, rows, { id: 'results-table', numeric: (i) => i > 0 })];
  const explain = ['Top-1 accuracy in percent on the test split; — where a method has no such result (yet).'];
  if (t.rows.some((r) => r.seeds !== undefined)) explain.push('With several seeds (their number after each method): the mean over the seeds ± their standard deviation; low-shot: of each seed\'s mean over its draws.');
  if (t.gapHeads.length) explain.push(`GAP: the linear probe on the last tap's global average pool (${t.gapHeads.join(', ')}).`);
  if (t.lowshot.length) explain.push(`Low-shot: N labeled images per class (or a fraction of the labels)${t.rows.some((r) => r.seeds !== undefined) ? '' : ', mean ± std over the draws'}.`);
  if (t.hasNmi) explain.push("NMI: of the clusters the method's target learned from, against the true labels.");
  parts.push(`<p>${explain.join(' ')}</p>`);

  const methods = evaluated.map((r) => r.method);
  const layerRows = evaluated.flatMap((r) => t.taps.filter((tap) => r.taps[tap] !== undefined).map((tap) => ({ method: r.method, tap, top1: r.taps[tap]! })));
  if (layerRows.length) parts.push(figure(await renderSvg(layerChart(layerRows, methods, t.taps)), 'Linear probe top-1 % per layer'));
  const knnRows = evaluated.flatMap((r) => t.knn.filter((k) => r.knn[k] !== undefined).map((k) => ({ method: r.method, setting: `kNN ${k}`, value: r.knn[k]! })));
  if (knnRows.length) parts.push(figure(await renderSvg(groupedBars(knnRows, methods, t.knn.map((k) => `kNN ${k}`), 'top-1 %')), 'kNN top-1 % per method'));
  const lowRows = evaluated.flatMap((r) =>
    t.lowshot.filter((s) => r.lowshot[s] !== undefined).map((s) => {
      const { mean, std } = r.lowshot[s]!;
      return Number.isNaN(std) ? { method: r.method, setting: s, value: mean } : { method: r.method, setting: s, value: mean, lo: mean - std, hi: mean + std };
    }),
  );
  if (lowRows.length) parts.push(figure(await renderSvg(groupedBars(lowRows, methods, t.lowshot, 'top-1 %')), 'Low-shot top-1 % per method (± std over draws)'));
  const missing = t.rows.filter((r) => !evaluated.includes(r)).map((r) => r.method);
  if (missing.length) parts.push(note(`Not evaluated yet: ${missing.join(', ')}.`));
  return { id: 'results', title: 'Results', body: parts.join('\n') };
}
