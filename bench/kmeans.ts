// k-means time and quality: selfsup against scikit-learn's KMeans and faiss's Kmeans
// (Debian python3-sklearn, python3-faiss; bench/reference/kmeans_ref.py) on the same matrix
// in the same run.
//   node dist/bench/kmeans.js [--size small|large|both] [--rounds 3] [--iters 20] [--threads 2] [--own-init]
//       [--variants default,active,t1]
// small: 60,000 x 128, K = 100; large: 200,000 x 256, K = 1000. The data is a mixture of K
// Gaussians (centres N(0, 0.5^2) per coordinate, unit noise), so the clusters overlap and
// Lloyd does not converge within the iterations. All three start from the same K random rows
// and run the same number of Lloyd iterations (tol 0). With --own-init each uses its own
// default initialisation instead (selfsup and scikit-learn k-means++, faiss random rows),
// timed with it. Every method runs in its own process on data already in memory, after a
// warm-up run of 2 iterations on the first max(4K, 2,048) rows (selfsup and scikit-learn; faiss
// is timed cold); times are
// medians over rounds (order rotated); each method's final centroids are scored here, in
// float64: inertia = sum over rows of the squared distance to the nearest centroid. Speeds are
// given against scikit-learn's (its time over the method's), of the medians and paired by round.
// selfsup runs once per variant: 'default' (the engine's defaults: 2 OpenMP threads that sleep
// when idle (OMP_WAIT_POLICY=passive), OpenBLAS's own 2 threads for matrix products), 'active'
// (libgomp's own default, OMP_WAIT_POLICY=active: idle OpenMP threads spin), 't1'
// (SELFSUP_THREADS=1: no OpenMP threads; matrix products still use OpenBLAS's threads).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensor, tidy, setNumThreads, getNumThreads, type Tensor } from '../src/engine/index.js';
import { readNpy, writeNpy } from '../src/io/npy.js';
import { kmeans, randomInit, loadFeatures } from '../src/cluster/index.js';
import { Rng } from '../src/data/rng.js';
import { benchArgs } from './args.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const a = benchArgs(import.meta.url, {
  options: {
    size: { type: 'string', default: 'small' },
    rounds: { type: 'string', default: '3' },
    iters: { type: 'string', default: '20' },
    threads: { type: 'string', default: '2' },
    'own-init': { type: 'boolean', default: false },
    variants: { type: 'string', default: 'default,active' },
    // worker mode: one selfsup run, as the reference script does for the libraries
    worker: { type: 'boolean', default: false },
    data: { type: 'string' },
    init: { type: 'string' },
    k: { type: 'string' },
    out: { type: 'string' },
  },
});
const threads = Number(a.threads);
const iters = Number(a.iters);
const rounds = Number(a.rounds);
if (!a.worker) setNumThreads(threads); // workers take SELFSUP_THREADS from the parent
const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };

/** A mixture of k Gaussians: n x dim float32, from a seeded JS generator. */
function mixture(n: number, dim: number, k: number, seed: number): Float32Array {
  const r = new Rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
  const centres = Float32Array.from({ length: k * dim }, () => 0.5 * normal());
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = r.int(k);
    for (let d = 0; d < dim; d++) out[i * dim + d] = centres[c * dim + d]! + normal();
  }
  return out;
}

/** Sum over rows of the squared distance to the nearest centroid, all in float64. */
function inertia64(x64: Tensor, centroids: Float32Array, k: number): number {
  const [n, dim] = x64.shape as [number, number];
  return tidy(() => {
    const c = tensor(centroids, { shape: [k, dim], dtype: 'float64' });
    const cSq = c.square().sum(1).unsqueeze(0);
    let total = 0;
    const step = Math.max(1, Math.floor(2 ** 24 / k));
    for (let s = 0; s < n; s += step) {
      total += tidy(() => {
        const xc = x64.narrow(0, s, Math.min(step, n - s));
        const d = xc.mm(c.t()).mul_(-2).add_(cSq).add_(xc.square().sum(1, true)); // ||x - c||^2
        return d.min(1).values.clamp(0, null).sum().item();
      });
    }
    return total;
  });
}

/** Worker: k-means on --data from --init (a .npy file or 'k-means++'), centroids to --out, one JSON line. */
function worker(): void {
  const x = loadFeatures(a.data!);
  const k = Number(a.k);
  const init = a.init === 'k-means++' ? 'k-means++' : tensor(readNpy(a.init!).data as Float32Array, { shape: [k, x.shape[1]!] });
  // Warm-up, as the reference script does: 2 iterations on the first max(4K, 2,048) rows, so
  // that the one-time costs of the process (thread pools, first calls) are not timed.
  const w = Math.min(x.shape[0]!, Math.max(4 * k, 2048));
  const warm = x.narrow(0, 0, w).contiguous();
  kmeans(warm, { k, init: 'random', maxIter: 2, tol: 0, seed: 0 });
  warm.dispose();
  const t0 = performance.now();
  const r = kmeans(x, { k, init, maxIter: iters, tol: 0, seed: 0 });
  const seconds = (performance.now() - t0) / 1000;
  writeNpy(a.out!, r.centroids.data() as Float32Array, r.centroids.shape);
  console.log(JSON.stringify({ seconds, iterations: r.iterations, threads: getNumThreads() }));
}

let faissFound: boolean | undefined;
/** Whether python3-faiss is installed (the bench leaves faiss out, saying so once, when it is not). */
function hasFaiss(): boolean {
  if (faissFound === undefined) {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import faiss'], { stdio: 'ignore' });
      faissFound = true;
    } catch {
      console.log('faiss: not installed (Debian python3-faiss), left out');
      faissFound = false;
    }
  }
  return faissFound;
}

const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)]!;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function bench(name: string, n: number, dim: number, k: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-kmeans-bench-'));
  try {
    const data = mixture(n, dim, k, 1);
    const dataPath = join(dir, 'x.npy');
    writeNpy(dataPath, data, [n, dim]);
    const x = tensor(data, { shape: [n, dim] });
    const x64 = x.to('float64');
    const init = randomInit(x, k, new Rng(2));
    const initPath = join(dir, 'init.npy');
    writeNpy(initPath, init.data() as Float32Array, [k, dim]);
    const own = a['own-init'];

    const methods: Record<string, () => { seconds: number; iterations: number; centroids: Float32Array }> = {};
    const variantEnv: Record<string, Record<string, string>> = { default: {}, active: { OMP_WAIT_POLICY: 'active' }, t1: { SELFSUP_THREADS: '1' } };
    for (const v of a.variants!.split(',')) {
      if (!(v in variantEnv)) throw new Error(`--variants: unknown variant '${v}'; expected default, active or t1`);
      methods[v === 'default' ? 'selfsup' : `selfsup-${v}`] = () => {
        const out = join(dir, `selfsup-${v}.npy`);
        const line = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--worker', '--data', dataPath, '--k', String(k),
          '--init', own ? 'k-means++' : initPath, '--iters', String(iters), '--threads', String(threads), '--out', out],
          { encoding: 'utf8', env: { ...env, SELFSUP_THREADS: String(threads), ...variantEnv[v] } }).trim().split('\n').pop()!;
        const j = JSON.parse(line) as { seconds: number; iterations: number };
        return { seconds: j.seconds, iterations: j.iterations, centroids: readNpy(out).data as Float32Array };
      };
    }
    for (const method of ['sklearn', 'faiss'].filter((m) => m !== 'faiss' || hasFaiss())) {
      methods[method] = () => {
        const out = join(dir, `${method}.npy`);
        const initArg = own ? (method === 'faiss' ? 'random' : 'k-means++') : initPath;
        const line = execFileSync('/usr/bin/python3', [join(root, 'bench/reference/kmeans_ref.py'), '--method', method, '--data', dataPath,
          '--k', String(k), '--init', initArg, '--iters', String(iters), '--threads', String(threads), '--out', out], { encoding: 'utf8', env })
          .trim().split('\n').pop()!;
        const j = JSON.parse(line) as { seconds: number; iterations: number };
        return { seconds: j.seconds, iterations: j.iterations, centroids: readNpy(out).data as Float32Array };
      };
    }

    const names = Object.keys(methods);
    const seconds: Record<string, number[]> = Object.fromEntries(names.map((m) => [m, []]));
    const quality: Record<string, { inertia: number; iterations: number }> = {};
    const load0 = loadavg();
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < names.length; i++) {
        const m = names[(i + r) % names.length]!;
        try {
          const res = methods[m]!();
          seconds[m]!.push(res.seconds);
          if (quality[m] === undefined) quality[m] = { inertia: inertia64(x64, res.centroids, k), iterations: res.iterations };
        } catch (e) {
          console.error(`${m}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
    }
    const load1 = loadavg();
    const ran = names.filter((m) => seconds[m]!.length > 0);
    const best = Math.min(...ran.map((m) => quality[m]!.inertia));
    // Speed against scikit-learn (its time / the method's, > 1 is faster): of the medians, and
    // the median of the rounds' own ratios (each round runs every method once, in turn).
    const base = seconds.sklearn!.length ? median(seconds.sklearn!) : NaN;
    const paired = (m: string) => {
      const r = seconds[m]!.map((t, i) => seconds.sklearn![i]! / t).filter(Number.isFinite);
      return r.length ? median(r) : NaN;
    };
    console.log(`\n${name}: ${n.toLocaleString('en')} x ${dim}, K = ${k}, ${iters} iterations, ${own ? 'each its own default init' : 'the same random init'}, ` +
      `${threads} threads; median of ${rounds} round${rounds === 1 ? '' : 's'}; load average ${load0} -> ${load1}`);
    console.log('method            time (s)   speed vs sklearn (medians, paired)   iterations   inertia (float64)   vs best     runs (s)');
    for (const m of ran) {
      const t = median(seconds[m]!);
      const q = quality[m]!;
      console.log(`${m.padEnd(17)} ${t.toFixed(2).padStart(8)}   ${`${(base / t).toFixed(2)}x, ${paired(m).toFixed(2)}x`.padStart(34)}   ${String(q.iterations).padStart(10)}   ` +
        `${q.inertia.toPrecision(9).padStart(17)}   ${(100 * (q.inertia / best - 1)).toFixed(3).padStart(6)}%    ${seconds[m]!.map((s) => s.toFixed(2)).join(' ')}`);
    }
    [x, x64, init].forEach((t) => t.dispose());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (a.worker) {
  worker();
} else {
  console.log(`selfsup k-means benchmark: ${cpus()[0]?.model ?? 'cpu'} x ${cpus().length}, ${threads} threads`);
  if (a.size === 'small' || a.size === 'both') bench('small', 60_000, 128, 100);
  if (a.size === 'large' || a.size === 'both') bench('large', 200_000, 256, 1000);
}
