// The runner end to end on a tiny experiment: every stage runs once and a rerun reuses all of
// them; a changed clustering option reruns only that clustering and what follows; a failing
// stage stops its dependents only; a run killed with SIGKILL at several points (in training,
// between stages, while a stage writes) and run again ends with the results of a run never
// stopped; a live lock is refused, a stale one taken over.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getNumThreads } from '../../src/engine/index.js';
import { readExperimentResults, type ExperimentResults } from '../../src/artifacts/index.js';
import { acquireLock, LOCK_FILE } from '../../src/experiment/index.js';
import { MAIN, selfsup } from '../helpers/cli.js';
import { skipBrowser, withPage } from '../helpers/browser.js';
import { rng } from '../helpers/random.js';
import { tempFolders } from '../helpers/tmp.js';
import { tinyExperiment, TINY_EXPERIMENT } from './helpers.js';

const tmp = tempFolders('experiment-run');
const THREADS = getNumThreads();
let file: string;
let straight: string;
let reference: ExperimentResults;

/** What must not differ between two runs of one experiment: every figure but the times. */
function figures(r: ExperimentResults): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !['seconds', 'status'].includes(k)).map(([k, x]) => [k, strip(x)]));
    return v;
  };
  return { stages: r.stages.map((s) => s.id), methods: strip(r.methods) };
}

const run = (args: string[]) => selfsup(['run', file, '--quiet', ...args], { threads: THREADS });

before(() => {
  file = tinyExperiment(tmp('exp'));
  straight = join(tmp('straight'), 'out');
  const r = run(['--out', straight]);
  assert.equal(r.status, 0, r.stderr);
  reference = readExperimentResults(straight);
});

test('a run makes every stage once, in DIR/stages by content key, with results.json and the table', () => {
  const r = reference;
  assert.equal(r.complete, true);
  assert.equal(r.stages.length, 18);
  assert.ok(r.stages.every((s) => s.status === 'done'), JSON.stringify(r.stages.map((s) => [s.id, s.status])));
  for (const s of r.stages) assert.ok(existsSync(join(straight, s.path)), s.path);
  assert.deepEqual(readdirSync(join(straight, 'stages')).filter((f) => !f.endsWith('.json')).sort(), r.stages.map((s) => s.id).sort());
  assert.deepEqual(Object.keys(r.methods), ['rotation', 'cc_rotation', 'hog', 'cc_hog']);
  for (const m of Object.values(r.methods)) {
    assert.equal(m.status, 'done');
    assert.ok(m.eval?.knn && m.eval.lowshot && m.eval.linear, 'every method is evaluated');
  }
  // The table's cells are those of the evaluations.
  const log = run(['--out', straight]).stdout;
  const row = log.split('\n').find((l) => l.startsWith('│ cc_hog '))!;
  const knn = reference.methods.cc_hog!.eval!.knn!.results[0]!.top1;
  assert.ok(row.includes((100 * knn).toFixed(1)), row);
  assert.ok(row.includes(reference.methods.cc_hog!.clusters!.nmi!.toFixed(3)), `NMI in ${row}`);
  assert.deepEqual(reference.methods.hog!.eval!.linear!.map((h) => h.name), ['features'], 'HOG itself is evaluated on its features');
});

test("the run's report renders in Chromium from disk: the table, charts, cluster galleries and retrievals, offline", { skip: skipBrowser }, async () => {
  const url = pathToFileURL(join(straight, 'report.html')).href;
  const { errors, requests } = await withPage(url, async (page) => {
    assert.equal(await page.title(), 'tiny: report');
    assert.equal(await page.locator('#results-table tbody tr').count(), 4);
    const charts = page.locator('figure.chart svg');
    // Per-layer, kNN, low-shot; the curves (loss and accuracy) of each of 3 training runs; 2 cluster-size charts.
    assert.equal(await charts.count(), 3 + 3 + 2);
    for (const svg of await charts.all()) assert.ok((await svg.boundingBox())!.width > 100);
    const imgs = await page.locator('.tile img').evaluateAll((els) => (els as HTMLImageElement[]).map((e) => [e.complete, e.naturalWidth, e.naturalHeight]));
    // Up to 8 images of each cluster (k = 4) of the 2 clusterings; 4 queries x (1 + 3 neighbours) for 4 methods.
    const gallery = ['cc_rotation', 'cc_hog'].map((m) => reference.methods[m]!.clusters!.sizes.reduce((a, n) => a + Math.min(8, n), 0));
    assert.equal(imgs.length, gallery[0]! + gallery[1]! + 4 * 4 * 4);
    for (const i of imgs) assert.deepEqual(i, [true, 32, 32]);
    await page.screenshot({ path: join(straight, 'report.png'), fullPage: true });
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, [url]);
});

test('a second run trains nothing and gives the same results', () => {
  const mtimes = () => reference.stages.map((s) => statSync(join(straight, s.path)).mtimeMs);
  const before = mtimes();
  const r = run(['--out', straight]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /18 stages \(18 finished, 0 to run\)/);
  assert.match(r.stderr, /0 stages run, 18 reused/);
  assert.deepEqual(mtimes(), before);
  const again = readExperimentResults(straight);
  assert.ok(again.stages.every((s) => s.status === 'reused'));
  assert.deepEqual(figures(again), figures(reference));
});

test('--only runs those methods; results.json still holds every method, the others as their stages stand', () => {
  const r = run(['--out', straight, '--only', 'hog']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /1 method, (\d+) stages \(\1 finished, 0 to run\)/);
  const again = readExperimentResults(straight);
  assert.deepEqual(Object.keys(again.methods), ['rotation', 'cc_rotation', 'hog', 'cc_hog']);
  assert.equal(again.complete, true);
  assert.deepEqual(figures(again), figures(reference));
});

test('a changed clustering option reruns that clustering and what follows it, nothing else', () => {
  const out = join(tmp('changed'), 'out');
  assert.equal(run(['--out', out]).status, 0);
  // The artifacts' own keys do not depend on the folder either (a model source is recorded without its path).
  const features = reference.methods.cc_rotation!.stages.features!;
  const key = (dir: string) => JSON.parse(readFileSync(join(dir, 'stages', features, 'features.npy.json'), 'utf8')).key;
  assert.equal(key(out), key(straight));
  const r = run(['--out', out, '--set', 'methods.cc_hog.cluster.k=3']);
  assert.equal(r.status, 0, r.stderr);
  const ran = r.stderr.split('\n').filter((l) => / running /.test(l)).map((l) => l.split(/\s+/)[1]!.replace(/-.*/, ''));
  assert.deepEqual(ran, ['cluster', 'transfer', 'eval', 'retrievals']);
  const after = readExperimentResults(out);
  assert.equal(after.methods.cc_hog!.clusters!.k, 3);
  const others = (x: ExperimentResults) => figures({ ...x, stages: [], methods: { ...x.methods, cc_hog: undefined } } as unknown as ExperimentResults);
  assert.deepEqual(others(after), others(reference));
});

test('a failing stage stops its dependents only; the run exits non-zero naming it', () => {
  const dir = tmp('failing');
  const bad = join(dirname(file), 'broken.yaml');
  writeFileSync(bad, `${TINY_EXPERIMENT}  broken:
    features: { source: random:alexnet_s@conv9 }
    cluster: { k: 4 }
    transfer: {}
`);
  const out = join(dir, 'out');
  const r = selfsup(['run', bad, '--out', out, '--quiet', '--only', 'hog,broken'], { threads: THREADS });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /features-\w+ +FAILED: .*conv9/);
  assert.match(r.stderr, /failed: features-\w+; skipped as a consequence: (\w+-\w+, ){3}\w+-\w+$/m);
  const res = readExperimentResults(out);
  assert.equal(res.complete, false);
  assert.equal(res.methods.broken!.status, 'failed');
  assert.equal(res.methods.hog!.status, 'done');
  assert.deepEqual(figures({ ...res, stages: [], methods: { hog: res.methods.hog! } } as ExperimentResults),
    figures({ ...reference, stages: [], methods: { hog: reference.methods.hog! } } as ExperimentResults));
  assert.deepEqual(res.stages.filter((s) => s.status === 'skipped').map((s) => s.kind), ['cluster', 'transfer', 'eval', 'retrievals']);
});

/** Runs the experiment in a child and SIGKILLs it when `when(line, out)` first holds (after `delay` ms). */
function runAndKill(out: string, when: (line: string) => boolean, delay: number): Promise<{ killed: boolean; code: number | null; log: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, 'run', file, '--quiet', '--out', out], { env: { ...process.env, SELFSUP_THREADS: String(THREADS) } });
    let log = '';
    let armed = false;
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      if (!armed && log.split('\n').some(when)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delay);
      }
    });
    child.on('close', (code, signal) => resolve({ killed: signal === 'SIGKILL', code, log }));
  });
}

test('killed with SIGKILL in training, between stages and while a stage writes, then run again: the results of a run never stopped', async (t) => {
  const seed = Math.floor(Math.random() * 2 ** 31);
  const r = rng(seed);
  const out = join(tmp('killed'), 'out');
  const points: string[] = [];
  const kill = async (what: string, when: (line: string) => boolean, maxDelay: number) => {
    const delay = Math.floor(r() * maxDelay);
    const k = await runAndKill(out, when, delay);
    points.push(`${what} +${delay} ms: ${k.killed ? 'killed' : `exit ${k.code}`}`);
  };
  // 1. During the pretext training (a checkpoint every 2 steps).
  await kill('pretext running', (l) => /pretext-\w+ +running/.test(l), 1500);
  // 2. Right after a stage finished, before the next one.
  await kill('features done', (l) => /features-\w+ +done/.test(l), 1);
  // 3. While the clustering or the evaluation writes its files.
  await kill('cluster running', (l) => /cluster-\w+ +running/.test(l), 200);
  await kill('eval running', (l) => /eval-\w+ +running/.test(l), 800);
  const msg = `kill points (rng seed ${seed}): ${points.join('; ')}`;
  t.diagnostic(msg);
  // A stale lock of a killed runner is taken over.
  const last = run(['--out', out]);
  assert.equal(last.status, 0, `${msg}\n${last.stderr}`);
  assert.ok(!existsSync(join(out, LOCK_FILE)));
  const res = readExperimentResults(out);
  assert.equal(res.complete, true, msg);
  assert.deepEqual(figures(res), figures(reference), msg);
});

test('a live lock is refused with the owner named; a stale one is taken over', () => {
  const dir = tmp('lock');
  const release = acquireLock(dir);
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).host, started: 'then' }));
  assert.throws(() => acquireLock(dir), new RegExp(`another runner \\(pid ${process.ppid}, since then\\) is writing this folder`));
  // A pid that is not running (the largest pid_max is 2^22).
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 1, host: JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).host, started: 'then' }));
  let stale = 0;
  const again = acquireLock(dir, () => stale++);
  assert.equal(stale, 1);
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
  again();
  assert.ok(!existsSync(join(dir, LOCK_FILE)));
  release();
});
