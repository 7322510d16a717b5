// Reproducibility: the same command with the same seed and thread count gives the same bytes,
// at every stage; and a training run stopped at any point (SIGKILL, SIGINT, --max-steps) and
// resumed ends with exactly the files of a run that never stopped. Timestamps and timings
// (time, seconds, imagesPerSecond, ...) are the only fields allowed to differ.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { getNumThreads, isDeterministic, setDeterministic } from '../../src/engine/index.js';
import { prepareCache } from '../../src/data/index.js';
import { readSafetensorsHeader, writeNpy } from '../../src/io/index.js';
import { trainPretext } from '../../src/pretext/train.js';
import { trainTransfer } from '../../src/transfer/index.js';
import { idxFile } from '../helpers/idx.js';
import { rng } from '../helpers/random.js';
import { tempFolders } from '../helpers/tmp.js';
import { RUN_FILES, assertSameFiles, jsonFile } from '../helpers/runs.js';

const tmp = tempFolders('reproducible');
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const SIDE = 32, N = 192, KINDS = 4;
// Children use this process's thread count: results are reproducible for a given count.
const ENV = { ...process.env, SELFSUP_THREADS: String(getNumThreads()) };

/** Image i: an 'L' of random size and place (its rotation is visible) in band i mod 4 of brightness, on noise. */
function ells(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(n * SIDE * SIDE);
  for (let i = 0; i < n; i++) {
    const top = 4 + Math.floor(r() * 6), left = 6 + Math.floor(r() * 8), h = 14 + Math.floor(r() * 6), w = 8 + Math.floor(r() * 6);
    const lit = 120 + 40 * (i % KINDS);
    for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
      const stem = x >= left && x < left + 4 && y >= top && y < top + h;
      const foot = y >= top + h - 4 && y < top + h && x >= left && x < left + w;
      out[i * SIDE * SIDE + y * SIDE + x] = Math.floor(r() * 40 + (stem || foot ? lit : 10));
    }
  }
  return out;
}

let idxDir = '';
let cache = '';
before(async () => {
  idxDir = tmp('idx');
  writeFileSync(join(idxDir, 'train-images-idx3-ubyte'), idxFile([N, SIDE, SIDE], ells(N, 5)));
  writeFileSync(join(idxDir, 'train-labels-idx1-ubyte'), idxFile([N], Uint8Array.from({ length: N }, (_, i) => i % KINDS)));
  cache = join(tmp('cache'), 'c');
  await prepareCache(idxDir, { out: cache, size: SIDE, quiet: true });
});

const small = { epochs: 2, batchSize: 16, valFraction: 0.1, quiet: true, optimizer: 'sgd' as const, lr: 0.02, schedule: 'cosine' as const, warmup: 2 };

test('pretext rotation twice with the same seed: the same weights, metrics and files (deterministic mode changes nothing on the CPU)', async () => {
  const dirs = [tmp('rot'), tmp('rot')].map((d) => join(d, 'run'));
  const keys: string[] = [];
  for (const [i, out] of dirs.entries()) {
    const r = await trainPretext({ task: 'rotation', arch: 'alexnet_s', data: cache, out, seed: 3, ...small, deterministic: i === 1 });
    assert.equal(r.status, 'completed');
    assert.equal(isDeterministic(), i === 1);
    keys.push(r.key!);
  }
  setDeterministic(false);
  assertSameFiles(dirs[0]!, dirs[1]!, RUN_FILES);
  assert.equal(keys[0], keys[1], 'the content key');
});

test('pretext jigsaw and jigsaw++ twice with the same seed: the same files (BatchNorm re-estimation included)', async () => {
  for (const task of ['jigsaw', 'jigsaw++'] as const) {
    const dirs = [tmp('jig'), tmp('jig')].map((d) => join(d, 'run'));
    for (const out of dirs) {
      const r = await trainPretext({ task, arch: 'alexnet_s', data: cache, out, seed: 7, permutations: 8, bnImages: 64, ...small, epochs: 1 });
      assert.equal(r.status, 'completed');
    }
    assertSameFiles(dirs[0]!, dirs[1]!, [...RUN_FILES, 'permutations.json']);
  }
});

test('transfer train twice with the same seed (balanced sampling): the same files', async () => {
  const labels = join(tmp('labels'), 'pseudo.npy');
  writeNpy(labels, BigInt64Array.from({ length: N }, (_, i) => BigInt((i * 7) % 5)), [N]);
  const dirs = [tmp('transfer'), tmp('transfer')].map((d) => join(d, 'run'));
  for (const out of dirs) {
    const r = await trainTransfer({ clusters: labels, arch: 'alexnet_s', data: cache, out, seed: 2, balanced: true, ...small });
    assert.equal(r.status, 'completed');
  }
  assertSameFiles(dirs[0]!, dirs[1]!, RUN_FILES);
});

/** The step of the checkpoint in `dir` (-1 while there is none). */
function checkpointStep(dir: string): number {
  try {
    const meta = JSON.parse(readSafetensorsHeader(join(dir, 'checkpoint.safetensors')).metadata!.selfsup!) as { meta: { trainer: { step: number } } };
    return meta.meta.trainer.step;
  } catch {
    return -1;
  }
}

/**
 * Starts the CLI with args; once the run's checkpoint is at step >= `after` (or, with after < 0,
 * as soon as its config.json exists, before any checkpoint) sends `signal`; resolves when the
 * process has ended. The run may also have finished by then: whatever the point, a resume must
 * end where an uninterrupted run does.
 */
function runAndStop(args: string[], dir: string, after: number, signal: NodeJS.Signals): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let sent = false;
    const poll = setInterval(() => {
      const ready = after < 0 ? existsSync(join(dir, 'config.json')) : checkpointStep(dir) >= after;
      if (ready && !sent) {
        sent = true;
        child.kill(signal);
      }
    }, 5);
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      clearInterval(poll);
      resolve({ code, signal: sig, stderr });
    });
  });
}

test('pretext train in a child process, killed (SIGKILL, SIGINT, --max-steps) at random points and resumed: the files of an uninterrupted run', async (t) => {
  // 173 training images, 10 batches per epoch, 2 epochs: 20 steps, a checkpoint every 3 and at epoch ends.
  const args = (out: string) => ['pretext', 'train', '--task', 'rotation', '--arch', 'alexnet_s', '--data', cache, '--out', out, '--epochs', '2',
    '--batch-size', '16', '--val-fraction', '0.1', '--lr', '0.02', '--warmup', '2', '--seed', '9', '--checkpoint-every', '3', '--quiet'];
  const total = 20;
  const straight = join(tmp('straight'), 'run');
  const ref = spawnSync(process.execPath, [MAIN, ...args(straight)], { env: ENV, encoding: 'utf8' });
  assert.equal(ref.status, 0, ref.stderr);

  const seed = Math.floor(Math.random() * 2 ** 31);
  const r = rng(seed);
  const pick = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const out = join(tmp('stopped'), 'run');
  const where: string[] = [];
  const note = (what: string) => where.push(`${what} (checkpoint at step ${checkpointStep(out)})`);
  // 1. SIGKILL once the checkpoint is past a random step of the first half (or before any checkpoint).
  const k1 = pick(-1, total / 2);
  const a = await runAndStop(args(out), out, k1, 'SIGKILL');
  note(`SIGKILL after step ${k1}: ${a.signal ?? a.code}`);
  // 2. Resume and stop with --max-steps at a random step, usually between checkpoints.
  const m = Math.min(total - 3, Math.max(1, checkpointStep(out)) + pick(1, 6));
  const b = spawnSync(process.execPath, [MAIN, ...args(out), '--resume', '--max-steps', String(m)], { env: ENV, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  note(`--max-steps ${m}`);
  // 3. Resume and send SIGINT once past a random later step (the run checkpoints after the current step).
  const k2 = pick(m + 1, total - 1);
  const c = await runAndStop([...args(out), '--resume'], out, k2, 'SIGINT');
  assert.ok(c.code === 130 || c.code === 0 || c.signal === 'SIGINT', `SIGINT: exit ${c.code} ${c.signal}\n${c.stderr}`);
  note(`SIGINT after step ${k2}: ${c.signal ?? c.code}`);
  // 4. Resume to the end.
  const d = spawnSync(process.execPath, [MAIN, ...args(out), '--resume'], { env: ENV, encoding: 'utf8' });
  assert.equal(d.status, 0, `${where.join('; ')}\n${d.stderr}`);
  const msg = `kill points (rng seed ${seed}): ${where.join('; ')}`;
  t.diagnostic(msg);
  try {
    assertSameFiles(straight, out, RUN_FILES);
  } catch (e) {
    (e as Error).message += `\n${msg}`;
    throw e;
  }
  assert.equal(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).step, total, msg);
});

test('data prepare (IDX, and image files resized by sharp), features (random network and pixels), cluster and cluster assign twice: the same files', async () => {
  // Colour images of other sizes in class subfolders: decoded, resized and centre-cropped.
  const folder = tmp('images');
  const r = rng(3);
  for (let i = 0; i < 12; i++) {
    const w = 40 + 3 * i, h = 56 - 2 * i;
    const px = Buffer.from(Uint8Array.from({ length: w * h * 3 }, (_, j) => (j % 3) * 60 + Math.floor(r() * 80)));
    mkdirSync(join(folder, `class${i % 2}`), { recursive: true });
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(join(folder, `class${i % 2}`, `${i}.png`));
  }
  for (const source of [idxDir, folder]) {
    const caches = [join(tmp('prep'), 'c'), join(tmp('prep'), 'c')];
    for (const out of caches) await prepareCache(source, { out, size: SIDE, quiet: true });
    const dataFiles = readdirSync(caches[0]!).filter((f) => f !== 'manifest.json');
    assert.ok(dataFiles.length >= 2, 'images and labels files');
    assertSameFiles(caches[0]!, caches[1]!, [...dataFiles, 'manifest.json']);
  }

  const run = (args: string[]) => {
    const p = spawnSync(process.execPath, [MAIN, ...args], { env: ENV, encoding: 'utf8' });
    assert.equal(p.status, 0, `selfsup ${args.join(' ')}\n${p.stderr}`);
  };
  const work = [tmp('chain'), tmp('chain')];
  for (const w of work) {
    run(['features', '--source', 'random:alexnet_s@conv3', '--pool', '2x2', '--seed', '5', '--data', cache, '--out', join(w, 'random.npy'), '--batch-size', '50', '--quiet']);
    run(['features', '--source', 'pixels', '--pool', '8x8', '--data', cache, '--out', join(w, 'pixels.npy'), '--quiet']);
    run(['cluster', 'run', '--features', join(w, 'random.npy'), '--k', '6', '--pca', '16', '--whiten', '--n-init', '2', '--seed', '1', '--out', join(w, 'clusters'), '--quiet']);
    run(['cluster', 'run', '--features', join(w, 'pixels.npy'), '--k', '5', '--mini-batch', '64', '--init', 'random', '--seed', '2', '--out', join(w, 'mb'), '--quiet']);
    run(['cluster', 'assign', '--clusters', join(w, 'clusters'), '--features', join(w, 'random.npy'), '--out', join(w, 'assigned.npy'), '--quiet']);
  }
  assertSameFiles(work[0]!, work[1]!, ['random.npy', 'random.npy.json', 'pixels.npy', 'pixels.npy.json', 'assigned.npy']);
  // The clusterings name their features file, which lies in each run's own folder.
  for (const c of ['clusters', 'mb']) {
    assertSameFiles(join(work[0]!, c), join(work[1]!, c), ['assignments.npy', 'centroids.npy', 'preprocess.safetensors']);
    const s = (w: string) => ({ ...(jsonFile(join(w, c, 'summary.json')) as object), features: null });
    assert.deepEqual(s(work[1]!), s(work[0]!), `${c}/summary.json`);
  }
});
