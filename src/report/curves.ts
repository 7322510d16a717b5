// Training curves of every training stage (pretext, supervised, transfer) from its metrics.jsonl:
// loss and accuracy, train and val, per epoch (per logged step while no epoch has finished).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageRecord } from '../artifacts/experiment.js';
import { curvesChart, renderSvg } from './charts.js';
import { esc, figure, note, safely, type Section } from './html.js';
import { methodsOf, stagePath, stagesOf, type ReportContext } from './stages.js';

/** The trainer's file (src/train/trainer.ts METRICS_FILE; restated: the report sits below train). */
export const METRICS_FILE = 'metrics.jsonl';

export interface CurvePoint {
  x: number;
  series: 'train' | 'val';
  metric: 'loss' | 'accuracy';
  value: number;
}

interface MetricsLine {
  type?: string;
  epoch?: number;
  step?: number;
  loss?: number | null;
  accuracy?: number | null;
  valLoss?: number | null;
  valAccuracy?: number | null;
}

/** The points of a metrics.jsonl text (accuracies in percent); a torn last line is ignored. */
export function curvePoints(text: string): { points: CurvePoint[]; xTitle: string } {
  const lines: MetricsLine[] = [];
  for (const l of text.split('\n')) {
    if (!l.trim()) continue;
    try {
      lines.push(JSON.parse(l) as MetricsLine);
    } catch {
      // a line being written when the file was read
    }
  }
  const epochs = lines.filter((l) => l.type === 'epoch');
  const use = epochs.length ? epochs : lines.filter((l) => l.type === 'step');
  const xOf = (l: MetricsLine) => (epochs.length ? l.epoch : l.step) ?? NaN;
  const points: CurvePoint[] = [];
  const push = (x: number, series: CurvePoint['series'], metric: CurvePoint['metric'], v: number | null | undefined, scale: number) => {
    if (typeof v === 'number' && Number.isFinite(v) && Number.isFinite(x)) points.push({ x, series, metric, value: v * scale });
  };
  for (const l of use) {
    const x = xOf(l);
    push(x, 'train', 'loss', l.loss, 1);
    push(x, 'val', 'loss', l.valLoss, 1);
    push(x, 'train', 'accuracy', l.accuracy, 100);
    push(x, 'val', 'accuracy', l.valAccuracy, 100);
  }
  return { points, xTitle: epochs.length ? 'epoch' : 'step' };
}

async function stageCurves(ctx: ReportContext, s: StageRecord): Promise<string> {
  const title = `<h3>${esc(s.kind)} ${esc(s.id)} <small>(${esc(methodsOf(s))}; ${esc(s.status)})</small></h3>`;
  const path = join(stagePath(ctx, s), METRICS_FILE);
  if (!existsSync(path)) return title + note(s.status === 'failed' ? `Failed before any epoch: ${s.error ?? ''}` : 'Not run yet.');
  const { points, xTitle } = curvePoints(readFileSync(path, 'utf8'));
  if (points.length === 0) return title + note('No metrics logged yet.');
  return title + figure(await renderSvg(curvesChart(points, xTitle)), `${s.kind} ${s.id}: loss and accuracy per ${xTitle}`);
}

export async function curvesSection(ctx: ReportContext): Promise<Section> {
  const runs = stagesOf(ctx, 'pretext', 'supervised', 'transfer');
  const body = runs.length ? (await Promise.all(runs.map((s) => safely(`${s.kind} ${s.id}`, () => stageCurves(ctx, s))))).join('\n') : note('The experiment has no training stages.');
  return { id: 'training', title: 'Training curves', body };
}
