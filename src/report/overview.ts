// The report's header (config, status, stages that did not finish), the time of each stage and the
// resolved config.
import { esc, note, table, type Section } from './html.js';
import type { StageRecord } from '../artifacts/experiment.js';
import { isFinished, methodsOf, type ReportContext } from './stages.js';

export function header(ctx: ReportContext): string {
  const r = ctx.results;
  const status = r.complete ? '<b class="status-complete">complete</b>' : '<b class="status-partial">partial</b>';
  const done = r.stages.filter(isFinished).length;
  const lines = [
    `<p>Config <code>${esc(r.configFile)}</code> · ${status}: ${done} of ${r.stages.length} stages finished · started ${esc(r.started)}, updated ${esc(r.updated)} · ` +
      `selfsup ${esc(r.versions.selfsup)}, node ${esc(r.versions.node)}${r.versions.libtorch ? `, libtorch ${esc(r.versions.libtorch)}` : ''}, ${esc(r.threads)} threads</p>`,
  ];
  const unfinished: StageRecord[] = r.stages.filter((s) => !isFinished(s));
  if (unfinished.length) {
    const item = (s: StageRecord) => `<li><span class="${s.status === 'failed' ? 'failed' : ''}">${esc(s.status)}</span> ${esc(s.id)} (${esc(methodsOf(s))})${s.error ? `: ${esc(s.error)}` : ''}</li>`;
    const order = ['failed', 'skipped', 'running', 'waiting'];
    lines.push(`<ul id="unfinished">${[...unfinished].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status)).map(item).join('')}</ul>`);
  }
  return lines.join('\n');
}

export function timesSection(ctx: ReportContext): Section {
  const stages = ctx.results.stages;
  if (stages.length === 0) return { id: 'times', title: 'Stage times', body: note('No stages yet.') };
  const rows = stages.map((s) => [s.id, s.kind, methodsOf(s), s.status, s.seconds === null ? '—' : s.seconds.toFixed(1)]);
  const total = stages.reduce((t, s) => t + (s.status === 'done' ? (s.seconds ?? 0) : 0), 0);
  const body = table(['stage', 'kind', 'methods', 'status', 'seconds'], rows, { id: 'times-table', numeric: (i) => i === 4 }) + `<p>Stages run this time: ${total.toFixed(1)} s in all (reused stages show the time of the run that made them).</p>`;
  return { id: 'times', title: 'Stage times', body };
}

export function configSection(ctx: ReportContext): Section {
  return { id: 'config', title: 'Config', body: `<p>Every stage's options, defaults filled in.</p><pre>${esc(JSON.stringify(ctx.results.config, null, 2))}</pre>` };
}
