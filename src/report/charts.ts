// The report's charts: vega-lite specs compiled to vega and rendered to SVG text in Node (no
// canvas, no browser), inlined into the page. One colour per method in every chart.
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

const WIDTH = 420;
const HEIGHT = 220;

/** The SVG of a vega-lite spec, without namespace attributes (HTML does not need them). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.replace(/ xmlns(:xlink)?="[^"]*"/g, '');
  } finally {
    view.finalize();
  }
}

/** The colour encoding of methods, in the config's order. */
function methodColor(methods: string[]): Record<string, unknown> {
  return { field: 'method', type: 'nominal', title: 'method', sort: methods, scale: { domain: methods, scheme: methods.length > 10 ? 'tableau20' : 'category10' } };
}

/** Linear top-1 (percent) per tap, one line per method; taps in network order. */
export function layerChart(rows: { method: string; tap: string; top1: number }[], methods: string[], taps: string[]): TopLevelSpec {
  return {
    width: WIDTH, height: HEIGHT, data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'tap', type: 'ordinal', sort: taps, title: 'layer (linear probe)', axis: { labelAngle: 0 } },
      y: { field: 'top1', type: 'quantitative', title: 'top-1 %' },
      color: methodColor(methods),
    },
  };
}

/** A bar per method and setting (kNN k, low-shot setting), with ± std whiskers where given. */
export function groupedBars(rows: { method: string; setting: string; value: number; lo?: number; hi?: number }[], methods: string[], settings: string[], yTitle: string): TopLevelSpec {
  const x = { field: 'setting', type: 'nominal' as const, sort: settings, title: null, axis: { labelAngle: 0 } };
  const xOffset = { field: 'method', type: 'nominal' as const, sort: methods, scale: { domain: methods } };
  const layers: TopLevelSpec[] = [{ mark: 'bar', encoding: { x, xOffset, y: { field: 'value', type: 'quantitative', title: yTitle }, color: methodColor(methods) } } as unknown as TopLevelSpec];
  if (rows.some((r) => r.lo !== undefined)) {
    layers.push({ transform: [{ filter: 'isValid(datum.lo)' }], mark: { type: 'rule', color: '#333' }, encoding: { x, xOffset, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } } as unknown as TopLevelSpec);
  }
  return { width: Math.max(WIDTH / 2, settings.length * methods.length * 18), height: HEIGHT, data: { values: rows }, layer: layers } as unknown as TopLevelSpec;
}

/** Training curves of one run: loss (left) and accuracy (right, when there is any), train and val. */
export function curvesChart(rows: { x: number; series: string; metric: 'loss' | 'accuracy'; value: number }[], xTitle: string): TopLevelSpec {
  const panel = (metric: 'loss' | 'accuracy') => ({
    width: WIDTH * 0.75, height: HEIGHT * 0.8,
    transform: [{ filter: `datum.metric === '${metric}'` }],
    mark: { type: 'line', point: rows.filter((r) => r.metric === metric).length <= 80 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle },
      y: { field: 'value', type: 'quantitative', title: metric === 'loss' ? 'loss' : 'accuracy %', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, sort: ['train', 'val'] },
    },
  });
  const metrics = (['loss', 'accuracy'] as const).filter((m) => rows.some((r) => r.metric === m));
  return { data: { values: rows }, hconcat: metrics.map(panel) } as unknown as TopLevelSpec;
}

/** Cluster sizes, largest first (bars when few, a step area when many). */
export function sizesChart(sizes: number[]): TopLevelSpec {
  const sorted = [...sizes].sort((a, b) => b - a).map((size, i) => ({ rank: i + 1, size }));
  const few = sorted.length <= 60;
  return {
    width: WIDTH, height: HEIGHT * 0.7, data: { values: sorted },
    mark: few ? 'bar' : { type: 'area', interpolate: 'step-after' },
    encoding: {
      x: few ? { field: 'rank', type: 'ordinal', title: 'cluster (by size)', axis: { labels: sorted.length <= 30 } } : { field: 'rank', type: 'quantitative', title: 'cluster (by size)' },
      y: { field: 'size', type: 'quantitative', title: 'images' },
    },
  } as TopLevelSpec;
}
