// How cost grows with the work: k-means time and peak memory against N, K and D (one Lloyd
// iteration is O(N K D): its matrix product), and feature extraction images/s and peak memory
// against the batch size. Each point runs in a fresh process (bench/growth_worker.js); the
// figures are medians of the rounds. Writes the table to stdout and, with --svg FILE, the chart
// (vega-lite, as the report's charts).
//   node dist/bench/growth.js [--rounds 1] [--iters 3] [--svg docs/performance-growth.svg]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSvg } from '../src/report/charts.js';
import { benchArgs } from './args.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const a = benchArgs(import.meta.url, { options: { rounds: { type: 'string', default: '1' }, iters: { type: 'string', default: '3' }, svg: { type: 'string' } } });
const rounds = Number(a.rounds), iters = Number(a.iters);
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
const worker = (what: string, o: object) => JSON.parse(execFileSync(process.execPath, [join(root, 'dist/bench/growth_worker.js'), what, JSON.stringify(o)], { encoding: 'utf8' }).trim().split('\n').pop()!) as Record<string, number>;
const measure = (what: string, o: object): Record<string, number> => {
  const rs = Array.from({ length: rounds }, () => worker(what, o));
  return Object.fromEntries(Object.keys(rs[0]!).map((k) => [k, median(rs.map((r) => r[k]!))])) as Record<string, number>;
};

console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
// Around N = 200,000, K = 1,000, D = 256: each axis alone.
const points = [
  ...[60_000, 200_000, 1_300_000].map((n) => ({ axis: 'N', n, k: 1000, d: 256 })),
  ...[100, 2000].map((k) => ({ axis: 'K', n: 200_000, k, d: 256 })),
  { axis: 'D', n: 200_000, k: 1000, d: 64 },
];
const base = { n: 200_000, k: 1000, d: 256 };
const rows = points.map((p) => {
  const m = measure('kmeans', { ...p, iters });
  return { ...p, seconds: m.seconds!, peakMiB: m.peakMiB! };
});
const byWork = (r: { n: number; k: number; d: number }) => (r.n * r.k * r.d) / (base.n * base.k * base.d);
const ref = rows.find((r) => r.n === base.n && r.k === base.k && r.d === base.d)!;
console.log(`\nk-means: ${iters} Lloyd iterations from random rows, then the labels' pass; 2 threads`);
console.log('N          K      D     seconds   x N·K·D   x time   peak MiB');
for (const r of rows) {
  console.log(`${String(r.n).padEnd(10)} ${String(r.k).padEnd(6)} ${String(r.d).padEnd(5)} ${r.seconds!.toFixed(2).padStart(7)}   ${byWork(r).toFixed(2).padStart(7)}   ${(r.seconds! / ref.seconds!).toFixed(2).padStart(6)}   ${r.peakMiB!.toFixed(0).padStart(8)}`);
}
const batches = [16, 64, 256, 1024];
const ext = batches.map((batch) => {
  const m = measure('extract', { batch, images: 8192 });
  return { batch, imagesPerSec: m.imagesPerSec!, peakMiB: m.peakMiB! };
});
console.log('\nfeature extraction, random alexnet_s to conv5 (global pool), 1x32x32, 2 threads');
console.log('batch   images/s   peak MiB');
for (const r of ext) console.log(`${String(r.batch).padEnd(7)} ${r.imagesPerSec!.toFixed(0).padStart(8)}   ${r.peakMiB!.toFixed(0).padStart(8)}`);

if (a.svg) {
  const svg = await renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    hconcat: [
      {
        title: 'k-means: time against N·K·D (relative to 200k·1000·256)',
        data: { values: rows.map((r) => ({ work: byWork(r), time: r.seconds! / ref.seconds!, axis: `${r.axis} varies` })) },
        layer: [
          { mark: { type: 'line', strokeDash: [4, 4], color: '#999' }, data: { values: [{ work: 0.05, time: 0.05 }, { work: 10, time: 10 }] }, encoding: { x: { field: 'work', type: 'quantitative' }, y: { field: 'time', type: 'quantitative' } } },
          {
            mark: { type: 'point', filled: true, size: 60 },
            encoding: {
              x: { field: 'work', type: 'quantitative', scale: { type: 'log' }, title: 'N·K·D (relative)' },
              y: { field: 'time', type: 'quantitative', scale: { type: 'log' }, title: 'time (relative)' },
              color: { field: 'axis', type: 'nominal', title: null },
            },
          },
        ],
        width: 300, height: 240,
      },
      {
        title: 'feature extraction: images/s against batch',
        data: { values: ext.map((r) => ({ batch: r.batch, ips: r.imagesPerSec })) },
        mark: { type: 'line', point: true },
        encoding: { x: { field: 'batch', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'batch' }, y: { field: 'ips', type: 'quantitative', title: 'images/s' } },
        width: 260, height: 240,
      },
    ],
  });
  writeFileSync(a.svg, svg);
  console.log(`\nchart: ${a.svg}`);
}
