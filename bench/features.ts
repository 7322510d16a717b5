// Feature-extraction throughput of selfsup's sources against PyTorch (random alexnet_s / vgg_s
// to their conv5 tap) and scikit-image (HOG, one image at a time as users call it), in the same
// run. Each round times selfsup in this process and the reference in a fresh one (order
// alternating); medians of the rounds are compared.
//   node dist/bench/features.js [--batch 256] [--batches 10] [--rounds 3] [--threads 2] [--channels 1] [--pool none]
//                               [--precision fp32|bf16] [--only net|hog|all]
// --precision bf16: the networks' pass under autocast to bfloat16 on both sides (rows float32).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rand, setNumThreads, tidy, type Tensor } from '../src/engine/index.js';
import { parseSource, type FeatureSource } from '../src/features/index.js';
import { benchArgs } from './args.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = join(root, 'bench/reference/features_pytorch.py');
const a = benchArgs(import.meta.url, {
  options: {
    batch: { type: 'string', default: '256' },
    batches: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    channels: { type: 'string', default: '1' },
    pool: { type: 'string', default: 'none' },
    precision: { type: 'string', default: 'fp32' },
    only: { type: 'string', default: 'all' },
  },
}, { precision: ['fp32', 'bf16'], only: ['net', 'hog', 'all'] });
const batch = Number(a.batch), batches = Number(a.batches), rounds = Number(a.rounds), threads = Number(a.threads);
const channels = Number(a.channels);
const precision = a.precision as 'fp32' | 'bf16';
setNumThreads(threads);

const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

function reference(args: string[]): { imagesPerSec: number } {
  const out = execFileSync('/usr/bin/python3', [SCRIPT, ...args], { encoding: 'utf8' }).trim().split('\n').pop()!;
  return JSON.parse(out);
}

/** images/s of source.extract on a fixed batch, rows copied out to JS as the extraction does. */
function ours(source: FeatureSource, x: Tensor, reps: number, warmup: number): number {
  const run = () => tidy(() => source.extract(x).data());
  for (let i = 0; i < warmup; i++) run();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  return (x.shape[0]! * reps * 1000) / (performance.now() - t0);
}

interface Row {
  what: string;
  ours: number[];
  ref: number[];
  refName: string;
}
const rows: Row[] = [];
console.log(`load average before: ${load()}`);

if (a.only !== 'hog') {
  const x = rand([batch, channels, 32, 32]);
  for (const arch of ['alexnet_s', 'vgg_s']) {
    const spec = `random:${arch}@conv5`;
    const source = parseSource(spec, { inChannels: channels, mean: Array(channels).fill(0.3), std: Array(channels).fill(0.25), pool: a.pool, precision });
    const what = `${spec}, ${channels}x32x32, pool ${a.pool}, ${precision}, dim ${source.dim([channels, 32, 32])}`;
    // selfsup's network sources run channels-last; PyTorch both ways (its default is NCHW).
    const row: Row = { what, ours: [], ref: [], refName: 'PyTorch NCHW' };
    const rowCl: Row = { what, ours: row.ours, ref: [], refName: 'PyTorch NHWC' };
    const refArgs = ['net', '--arch', arch, '--batch', a.batch!, '--batches', a.batches!, '--threads', a.threads!, '--channels', a.channels!, '--pool', a.pool!, '--precision', precision];
    for (let r = 0; r < rounds; r++) {
      const runs = [
        () => row.ours.push(ours(source, x, batches, 2)),
        () => row.ref.push(reference(refArgs).imagesPerSec),
        () => rowCl.ref.push(reference([...refArgs, '--channels-last']).imagesPerSec),
      ];
      for (let i = 0; i < runs.length; i++) runs[(i + r) % runs.length]!();
    }
    source.dispose();
    rows.push(row, rowCl);
  }
  x.dispose();
}

if (a.only !== 'net') {
  const configs: { c: number; size: number; cell: number; block: number; count: number }[] = [
    { c: 1, size: 32, cell: 8, block: 3, count: 2048 }, // skimage's defaults
    { c: 1, size: 32, cell: 4, block: 2, count: 2048 },
    { c: 3, size: 32, cell: 4, block: 2, count: 2048 },
    { c: 3, size: 96, cell: 8, block: 3, count: 512 },
  ];
  for (const k of configs) {
    const spec = `hog:cell=${k.cell},block=${k.block}`;
    const source = parseSource(spec);
    const x = rand([batch, k.c, k.size, k.size]);
    const row: Row = { what: `${spec}, ${k.c}x${k.size}x${k.size}, dim ${source.dim([k.c, k.size, k.size])}`, ours: [], ref: [], refName: 'scikit-image' };
    const refArgs = ['hog', '--count', String(k.count), '--channels', String(k.c), '--size', String(k.size), '--cell', String(k.cell), '--block', String(k.block)];
    for (let r = 0; r < rounds; r++) {
      const both = [() => row.ours.push(ours(source, x, Math.max(2, Math.round(k.count / batch)), 1)), () => row.ref.push(reference(refArgs).imagesPerSec)];
      if (r % 2) both.reverse();
      both.forEach((f) => f());
    }
    x.dispose();
    rows.push(row);
  }
}

console.log(`batch ${batch}, ${threads} libtorch threads (HOG: one JS thread), median of ${rounds} rounds`);
for (const r of rows) {
  const o = median(r.ours), p = median(r.ref);
  console.log(
    `${r.what.padEnd(53)} selfsup ${o.toFixed(0).padStart(7)} img/s   ${r.refName} ${p.toFixed(0).padStart(7)} img/s   ratio ${(o / p).toFixed(2)}x` +
      `   (selfsup ${r.ours.map((v) => v.toFixed(0)).join(' ')}; ${r.refName} ${r.ref.map((v) => v.toFixed(0)).join(' ')})`,
  );
}
console.log(`load average after: ${load()}`);
