// The default evaluation of one alexnet_s on Fashion-MNIST (linear probes on conv1..conv5 pooled
// to about 2,000 values and globally pooled, kNN k = 20 on conv5 globally pooled), in selfsup and
// in PyTorch (bench/reference/eval_pytorch.py, Debian python3-torch) on the same weights (a
// random alexnet_s, seed 0) in the same run: accuracies side by side and the time of each.
//   node dist/bench/eval.js [--threads 2] [--rounds 1] [--epochs 10]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manualSeed, setNumThreads, tidy } from '../src/engine/index.js';
import { prepareCache } from '../src/data/index.js';
import { buildTrunk } from '../src/models/index.js';
import { saveSafetensors } from '../src/io/index.js';
import { evaluate } from '../src/eval/index.js';
import { benchArgs } from './args.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const a = benchArgs(import.meta.url, {
  options: {
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    epochs: { type: 'string', default: '10' },
    cache: { type: 'string', default: join(root, '.cache', 'bench-eval') },
  },
});
const threads = Number(a.threads);
setNumThreads(threads);
const train = join(a.cache!, 'fmnist-train'), test = join(a.cache!, 'fmnist-test');
await prepareCache('fashion-mnist', { out: train, quiet: true });
await prepareCache('fashion-mnist', { out: test, split: 'test', quiet: true });

// The weights both sides evaluate: selfsup's random:alexnet_s at seed 0, saved for PyTorch.
const work = mkdtempSync(join(tmpdir(), 'bench-eval-'));
const trunkFile = join(work, 'trunk.safetensors');
manualSeed(0);
const trunk = buildTrunk('alexnet_s', 1);
tidy(() => saveSafetensors(trunkFile, trunk.stateDict()));
trunk.dispose();

interface Side { linear: Record<string, number>; knn: number; seconds: Record<string, number> }
const runs: Record<'selfsup' | 'pytorch', Side[]> = { selfsup: [], pytorch: [] };
const hasTorch = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasTorch) console.error('PyTorch not found (/usr/bin/python3 with Debian python3-torch); timing selfsup alone');

async function selfsup(): Promise<Side> {
  const { results: r } = await evaluate('all', {
    model: 'random:alexnet_s', seed: 0, data: train, test, out: join(work, 'selfsup'), epochs: Number(a.epochs), shots: [], k: [20], quiet: true,
  });
  return { linear: Object.fromEntries(r.linear!.map((h) => [h.name, h.top1])), knn: r.knn!.results[0]!.top1, seconds: r.seconds };
}

function pytorch(): Side {
  const out = execFileSync('/usr/bin/python3', [
    join(root, 'bench/reference/eval_pytorch.py'), '--trunk', trunkFile, '--train', train, '--test', test,
    '--epochs', a.epochs!, '--threads', String(threads), '--k', '20',
  ], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const j = JSON.parse(out.trim().split('\n').pop()!) as { linear: Record<string, number>; knn: { top1: number }; seconds: Record<string, number> };
  return { linear: j.linear, knn: j.knn.top1, seconds: j.seconds };
}

for (let r = 0; r < Number(a.rounds); r++) {
  const order = r % 2 === 0 ? (['selfsup', 'pytorch'] as const) : (['pytorch', 'selfsup'] as const);
  for (const side of order) {
    if (side === 'pytorch' && !hasTorch) continue;
    runs[side].push(side === 'selfsup' ? await selfsup() : pytorch());
  }
}
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
console.log(`default evaluation of a random alexnet_s (seed 0) on Fashion-MNIST 60k/10k, ${threads} threads, ${a.epochs} probe epochs; load ${loadavg().map((x) => x.toFixed(1)).join(' ')}; ${a.rounds} round(s)`);
const s = runs.selfsup.at(-1)!, p = runs.pytorch.at(-1);
console.log(`${'head'.padEnd(12)} ${'selfsup'.padStart(8)} ${'pytorch'.padStart(8)}`);
for (const h of Object.keys(s.linear)) console.log(`${h.padEnd(12)} ${(100 * s.linear[h]!).toFixed(2).padStart(8)} ${p ? (100 * p.linear[h]!).toFixed(2).padStart(8) : '       -'}`);
console.log(`${'kNN k=20'.padEnd(12)} ${(100 * s.knn).toFixed(2).padStart(8)} ${p ? (100 * p.knn).toFixed(2).padStart(8) : '       -'}`);
for (const part of ['extract', 'linear', 'knn', 'total']) {
  const ms = median(runs.selfsup.map((x) => x.seconds[part]!));
  const mp = runs.pytorch.length ? median(runs.pytorch.map((x) => x.seconds[part]!)) : NaN;
  console.log(`time ${part.padEnd(8)} selfsup ${ms.toFixed(1)} s, pytorch ${mp.toFixed(1)} s, selfsup speed / pytorch ${(mp / ms).toFixed(2)}x`);
}
