// Pretext training throughput (jigsaw++ by default; or rotation, or cluster classification's
// step) of selfsup against PyTorch (Debian python3-torch) for the same networks and recipe, in
// the same run: each round runs both programs (fresh processes, order alternating); medians of
// the rounds are compared.
//   node dist/bench/pretext.js [--task jigsaw++|jigsaw|rotation|cluster] [--clusters 100] [--archs alexnet_s,vgg_s] [--batch 128] [--steps 20] [--rounds 3] [--threads 2]
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const a = benchArgs(import.meta.url, {
  options: {
    task: { type: 'string', default: 'jigsaw++' },
    clusters: { type: 'string', default: '100' },
    archs: { type: 'string', default: 'alexnet_s,vgg_s' },
    batch: { type: 'string', default: '128' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
  },
});

interface Timing { msPerStep: number; imagesPerSec: number; tilesPerSec: number }
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;

const jigsaw = a.task!.startsWith('jigsaw');
const what = a.task === 'rotation' ? `${4 * Number(a.batch)} rotated images` : a.task === 'cluster' ? `augmented, ${a.clusters} clusters` : `${9 * Number(a.batch)} tiles of 9 px`;
console.log(`${a.task}, batch ${a.batch} images (${what}), ${a.threads} threads; median of ${a.rounds} rounds of ${a.steps} steps`);
for (const arch of a.archs!.split(',')) {
  const common = ['--task', a.task!, '--clusters', a.clusters!, '--arch', arch, '--batch', a.batch!, '--steps', a.steps!, '--warmup', a.warmup!, '--threads', a.threads!];
  const impls: Record<string, [string, string[]]> = {
    selfsup: [process.execPath, [join(root, 'dist/bench/selfsup_worker.js'), 'pretext', JSON.stringify({
      task: a.task, clusters: Number(a.clusters), arch, batch: Number(a.batch), steps: Number(a.steps), warmup: Number(a.warmup), threads: Number(a.threads),
    })]],
    pytorch: ['/usr/bin/python3', [join(root, 'bench/reference/pretext_pytorch.py'), ...common]],
  };
  const names = Object.keys(impls);
  const runs: Record<string, Timing[]> = { selfsup: [], pytorch: [] };
  for (let r = 0; r < Number(a.rounds); r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length]!;
      const [cmd, args] = impls[name]!;
      try {
        runs[name]!.push(JSON.parse(execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n').pop()!) as Timing);
      } catch (e) {
        console.error(`${name}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
  const ms = (n: string) => median(runs[n]!.map((t) => t.msPerStep));
  const base = ms('pytorch');
  for (const n of names) {
    if (!runs[n]!.length) continue;
    const m = ms(n);
    const ips = (Number(a.batch) * 1000) / m;
    console.log(`${arch.padEnd(10)} ${n.padEnd(8)} ${m.toFixed(1).padStart(7)} ms/step ${ips.toFixed(0).padStart(6)} images/s ${!jigsaw ? '' : `${(ips * 9).toFixed(0).padStart(7)} tiles/s`}   ${n}/pytorch images/s ${(base / m).toFixed(3)}x   (runs: ${runs[n]!.map((t) => t.msPerStep.toFixed(0)).join(' ')})`);
  }
}
