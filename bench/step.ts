// Training-step throughput of selfsup against PyTorch (Debian python3-torch) and plain
// C++ libtorch on the same model, in the same run, each also with the malloc settings of the
// other side. Each round runs every program once (fresh processes, order rotated) and the
// median of the rounds is compared.
//   node dist/bench/step.js [--arch convnet_s] [--batch 128] [--steps 20] [--warmup 5] [--rounds 5] [--threads 2] [--channels-last]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const a = benchArgs(import.meta.url, {
  options: {
    arch: { type: 'string', default: 'convnet_s' },
    batch: { type: 'string', default: '128' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    'channels-last': { type: 'boolean', default: false },
  },
});
const common = ['--batch', a.batch!, '--steps', a.steps!, '--warmup', a.warmup!, '--threads', a.threads!];
if (a['channels-last']) common.push('--channels-last');

execFileSync('bash', [join(root, 'bench/reference/build.sh')], { stdio: 'inherit' });
// selfsup sets glibc's malloc to keep blocks up to 32 MiB in its heap (native/src/addon.cc); the
// references are run with glibc's defaults and, for the overhead of the binding alone, with the
// same settings through glibc's variables.
const SAME_MALLOC = { MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(128 << 20) };
const impls: Record<string, [string, string[], Record<string, string>?]> = {
  selfsup: [process.execPath, [join(root, 'dist/bench/selfsup_worker.js'), 'step', JSON.stringify({
    arch: a.arch, batch: Number(a.batch), steps: Number(a.steps), warmup: Number(a.warmup), threads: Number(a.threads), channelsLast: a['channels-last'],
  })]],
};
impls['selfsup, glibc malloc'] = [impls.selfsup![0], impls.selfsup![1], { SELFSUP_MALLOC: 'default' }];
if (existsSync('/usr/bin/python3') && ['convnet_s', 'alexnet_s', 'vgg_s'].includes(a.arch!)) {
  impls.pytorch = ['/usr/bin/python3', [join(root, 'bench/reference/step_pytorch.py'), '--arch', a.arch!, ...common]];
  impls['pytorch, same malloc'] = [impls.pytorch[0], impls.pytorch[1], SAME_MALLOC];
}
if (['convnet_s', 'alexnet_s', 'vgg_s'].includes(a.arch!)) {
  impls.libtorch = [join(root, 'bench/reference/build/step_libtorch'), ['--arch', a.arch!, ...common]];
  impls['libtorch, same malloc'] = [impls.libtorch[0], impls.libtorch[1], SAME_MALLOC];
}

const names = Object.keys(impls);
const ms: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const rounds = Number(a.rounds);
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + r) % names.length]!;
    const [cmd, args, env] = impls[name]!;
    try {
      const out = execFileSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } }).trim().split('\n').pop()!;
      ms[name]!.push(JSON.parse(out).msPerStep);
    } catch (e) {
      console.error(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
const base = median(ms.selfsup!);
console.log(`${a.arch}, batch ${a.batch}, ${a.threads} threads${a['channels-last'] ? ', channels-last' : ''}; median of ${rounds} rounds of ${a.steps} steps`);
for (const n of names) {
  if (!ms[n]!.length) continue;
  const m = median(ms[n]!);
  const ips = (Number(a.batch) * 1000) / m;
  console.log(`${n.padEnd(22)} ${m.toFixed(1).padStart(7)} ms/step ${ips.toFixed(0).padStart(6)} images/s   selfsup/${n} throughput ${(m / base).toFixed(3)}x   (runs: ${ms[n]!.map((x) => x.toFixed(0)).join(' ')})`);
}
