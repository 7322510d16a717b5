// Data parallel on this machine: jigsaw++ alexnet_s steps as 2 processes x 1 thread (batch B
// each, gradients averaged during backward by DDP's c10d::Reducer) against 1 process x 2 threads (batch
// 2B), and against PyTorch DistributedDataParallel (Gloo) as 2 x 1 in the same run; plus the
// allreduce of the gradients' size alone (ms, MB/s over 127.0.0.1). Medians of the rounds.
//   node dist/bench/distributed.js [--batch 64] [--steps 20] [--rounds 3]
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const a = benchArgs(import.meta.url, {
  options: { batch: { type: 'string', default: '64' }, steps: { type: 'string', default: '20' }, warmup: { type: 'string', default: '3' }, rounds: { type: 'string', default: '3' } },
});
const B = Number(a.batch);
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Runs `cmd args` as ranks 0 and 1; resolves with rank 0's last stdout line, parsed. */
async function twoRanks(cmd: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Record<string, number>> {
  const port = await freePort();
  const outs = await Promise.all([0, 1].map((r) => new Promise<string>((resolve, reject) => {
    const env = { ...process.env, ...extraEnv, RANK: String(r), WORLD_SIZE: '2', LOCAL_RANK: String(r), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), OMP_NUM_THREADS: '1' };
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const deadline = setTimeout(() => c.kill('SIGKILL'), 300_000); // a hung rank fails the round
    c.stdout.on('data', (d) => (out += d));
    c.on('close', (code) => clearTimeout(deadline));
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} rank ${r} exited ${code}`))));
  })));
  return JSON.parse(outs[0]!.trim().split('\n').pop()!) as Record<string, number>;
}

const common = { arch: 'alexnet_s', steps: Number(a.steps), warmup: Number(a.warmup) };
const ddpArgs = [join(root, 'bench/reference/ddp_pytorch.py'), '--batch', String(B), '--threads', '1', '--steps', a.steps!, '--warmup', a.warmup!];
const impls: Record<string, () => Promise<Record<string, number>>> = {
  'selfsup 1x2': async () => {
    const r = JSON.parse(execFileSync(process.execPath, [join(root, 'dist/bench/selfsup_worker.js'), 'pretext', JSON.stringify({ task: 'jigsaw++', ...common, batch: 2 * B, threads: 2 })], { encoding: 'utf8' }).trim().split('\n').pop()!);
    return { msPerStep: r.msPerStep, imagesPerSec: r.imagesPerSec };
  },
  'selfsup 2x1': () => twoRanks(process.execPath, [join(root, 'dist/bench/distributed_worker.js'), JSON.stringify({ ...common, batch: B, threads: 1 })]),
  'pytorch-ddp 2x1': () => twoRanks('/usr/bin/python3', ddpArgs),
  // selfsup's malloc settings (native/src/addon.cc) through glibc's variables.
  'ddp, same malloc': () => twoRanks('/usr/bin/python3', ddpArgs, { MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(128 << 20) }),
};
const names = Object.keys(impls);
const runs: Record<string, Record<string, number>[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < Number(a.rounds); r++) {
  for (let i = 0; i < names.length; i++) {
    const n = names[(i + r) % names.length]!;
    try {
      runs[n]!.push(await impls[n]!());
    } catch (e) {
      console.error(`${n}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}
console.log(`jigsaw++ alexnet_s, global batch ${2 * B}; median of ${a.rounds} rounds of ${a.steps} steps`);
const ddp = median(runs['pytorch-ddp 2x1']!.map((t) => t.imagesPerSec!));
for (const n of names) {
  const rs = runs[n]!;
  if (!rs.length) continue;
  const m = (k: string) => median(rs.map((t) => t[k]!));
  const ips = m('imagesPerSec');
  const reduce = rs[0]!.allreduceMs !== undefined
    ? `  allreduce ${m('gradientMB').toFixed(2)} MB: ${m('allreduceMs').toFixed(2)} ms, ${m('allreduceMBps').toFixed(0)} MB/s` + (rs[0]!.backwardMsPerStep !== undefined ? `; backward with it ${m('backwardMsPerStep').toFixed(1)} ms` : '')
    : '';
  console.log(`${n.padEnd(16)} ${m('msPerStep').toFixed(1).padStart(7)} ms/step ${ips.toFixed(0).padStart(6)} images/s  ${(ips / ddp).toFixed(3)}x DDP${reduce}`);
}
