// The report of a small hand-made experiment folder: the table's numbers, one chart per expected
// figure, gallery images that are the right cache rows, no URL, and partial or bad folders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ExperimentResults } from '../../src/artifacts/experiment.js';
import { buildReport, writeReport } from '../../src/report/index.js';
import { tempFolders } from '../helpers/tmp.js';
import { EXPECTED_TABLE, SHAPE, testPixel, trainPixel, writeExperiment } from './fixture.js';

const tmp = tempFolders('report');

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
const cells = (row: string, tag: string) => [...row.matchAll(new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => unescape(m[1]!));

/** Header and body cells of the table with this id. */
function tableOf(html: string, id: string): { head: string[]; rows: string[][] } {
  const t = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(html);
  assert.ok(t, `table ${id} in the page`);
  const [thead, tbody] = t[1]!.split('<tbody>');
  return { head: cells(thead!, 'th'), rows: [...tbody!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => cells(m[1]!, 'td')) };
}

/** The part of the page in <section id="ID">. */
const sectionOf = (html: string, id: string) => new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(html)?.[1] ?? assert.fail(`section ${id}`);
const count = (s: string, re: RegExp) => s.match(re)?.length ?? 0;
const images = (s: string) => [...s.matchAll(/<img src="data:image\/png;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64'));

/** Channel 0 of the top-left pixel of a PNG, after checking its size. */
async function firstPixel(png: Buffer): Promise<number> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [SHAPE[2], SHAPE[1], SHAPE[0]]);
  return data[0]!;
}

function edit(dir: string, change: (r: ExperimentResults) => void): void {
  const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ExperimentResults;
  change(r);
  writeFileSync(join(dir, 'results.json'), JSON.stringify(r));
}

test('the report of a finished experiment: table, charts, galleries, retrievals, times, config', async () => {
  const dir = tmp('full');
  writeExperiment(dir);
  const t0 = performance.now();
  const path = await writeReport(dir);
  const ms = performance.now() - t0;
  assert.equal(path, join(dir, 'report.html'));
  const html = readFileSync(path, 'utf8');
  console.log(`writeReport: ${ms.toFixed(0)} ms, ${(html.length / 1024).toFixed(0)} KiB`);

  assert.deepEqual(tableOf(html, 'results-table'), EXPECTED_TABLE);
  assert.match(html, /<b class="status-complete">complete<\/b>: 10 of 10 stages finished/);
  assert.doesNotMatch(html, /http|<script|<link|url\(/i, 'no URL, no script');

  // 3 result charts (layers, kNN, low-shot), 2 training runs, 1 clustering.
  assert.equal(count(html, /<svg/g), 6);
  assert.equal(count(sectionOf(html, 'results'), /<svg/g), 3);
  assert.equal(count(sectionOf(html, 'training'), /<svg/g), 2);
  // The transfer run has val curves, the pretext run has none.
  const training = sectionOf(html, 'training');
  assert.equal(count(training.split('transfer-t1')[1]!, />val</g) > 0, true);
  assert.equal(count(training.split('transfer-t1')[0]!, />val</g), 0);

  // Clusters of sizes 10, 7, 5, 2: all four shown, 8 images spread over the first (rows 0..9), all of the others.
  const clusters = sectionOf(html, 'clusters');
  assert.match(clusters, /24 images in 4 clusters; largest 10, smallest 2, 0 empty\. NMI 0\.512, ARI 0\.300, purity 62\.5%/);
  const galleries = clusters.split('<div class="cluster-gallery">').slice(1);
  assert.deepEqual(galleries.map((g) => /<b>cluster (\d+)<\/b>/.exec(g)![1]), ['0', '1', '2', '3']);
  assert.deepEqual(galleries.map((g) => images(g).length), [8, 7, 5, 2]);
  assert.deepEqual(await Promise.all(images(galleries[0]!).map(firstPixel)), [0, 1, 2, 3, 5, 6, 7, 8].map(trainPixel));
  assert.deepEqual(await Promise.all(images(galleries[3]!).map(firstPixel)), [22, 23].map(trainPixel));
  assert.deepEqual(cells(galleries[0]!, 'span').slice(0, 3), ['shirt', 'shoe', 'bag']);

  // Retrievals: query test rows 1 and 4, each with three training neighbours; one of another class.
  const retrievals = sectionOf(html, 'retrievals');
  assert.deepEqual(await Promise.all(images(retrievals).map(firstPixel)), [testPixel(1), ...[4, 1, 7].map(trainPixel), testPixel(4), ...[13, 2, 10].map(trainPixel)]);
  assert.equal(count(retrievals, /class="tile query"/g), 2);
  assert.equal(count(retrievals, /class="tile wrong"/g), 1);
  assert.match(retrievals, /<div class="tile wrong"><img[^>]*><span>bag 0\.800<\/span>/);

  const times = tableOf(html, 'times-table');
  assert.equal(times.rows.length, 10);
  assert.deepEqual(times.rows.find((r) => r[0] === 'cluster-c1'), ['cluster-c1', 'cluster', 'cc', 'done', '5.1']);
  assert.deepEqual(times.rows.find((r) => r[0] === 'pretext-p1'), ['pretext-p1', 'pretext', 'jigsaw, cc', 'done', '120.4']);
  assert.match(unescape(sectionOf(html, 'config')), /"task": "jigsaw\+\+"/);
});

test('a partial run: unfinished stages are listed and their parts say they have not run', async () => {
  const dir = tmp('partial');
  writeExperiment(dir);
  rmSync(join(dir, 'stages', 'cluster-c1'), { recursive: true });
  rmSync(join(dir, 'stages', 'transfer-t1'), { recursive: true });
  rmSync(join(dir, 'stages', 'retrievals-r1'), { recursive: true });
  edit(dir, (r) => {
    r.complete = false;
    const set = (id: string, status: ExperimentResults['stages'][number]['status'], error?: string) => Object.assign(r.stages.find((s) => s.id === id)!, { status, seconds: null }, error ? { error } : {});
    set('cluster-c1', 'running');
    set('transfer-t1', 'waiting');
    set('eval-ec', 'waiting');
    set('retrievals-r1', 'failed', 'out of memory');
    delete r.methods.cc!.eval;
    delete r.methods.cc!.clusters;
    r.methods.cc!.status = 'partial';
  });
  const html = await buildReport(dir);
  assert.match(html, /<b class="status-partial">partial<\/b>: 6 of 10 stages finished/);
  const unfinished = /<ul id="unfinished">([\s\S]*?)<\/ul>/.exec(html)![1]!;
  assert.deepEqual(cells(unfinished, 'li').map((l) => l.replace(/<[^>]+>/g, '')), [
    'failed retrievals-r1 (jigsaw): out of memory', 'running cluster-c1 (cc)', 'waiting transfer-t1 (cc)', 'waiting eval-ec (cc)',
  ]);
  const t = tableOf(html, 'results-table');
  assert.deepEqual(t.head, EXPECTED_TABLE.head.slice(0, -1), 'no NMI column without clusters');
  assert.deepEqual(t.rows[1], ['cc: CC: jigsaw++ -> alexnet_s', '—', '—', '—', '—', '—', '—', '—', '—']);
  assert.match(sectionOf(html, 'results'), /Not evaluated yet: cc\./);
  assert.match(sectionOf(html, 'training'), /transfer-t1[\s\S]*Not run yet\./);
  assert.match(sectionOf(html, 'clusters'), /cluster-c1[\s\S]*Not run yet\./);
  assert.match(sectionOf(html, 'retrievals'), /jigsaw[\s\S]*Not run yet\./);
  assert.equal(count(html, /<svg/g), 4);
  assert.equal(count(html, /<img/g), 0);
  assert.deepEqual(tableOf(html, 'times-table').rows.find((r) => r[0] === 'eval-ec'), ['eval-ec', 'eval', 'cc', 'waiting', '—']);
});

test('unlabeled data and no evaluation: notes instead of the table; galleries without classes', async () => {
  const dir = tmp('unlabeled');
  writeExperiment(dir, { labeled: false });
  edit(dir, (r) => {
    for (const m of Object.values(r.methods)) delete m.eval;
    delete r.methods.cc!.clusters;
  });
  writeFileSync(join(dir, 'stages', 'cluster-c1', 'summary.json'), JSON.stringify({ clusterSizes: [10, 7, 5, 2] }));
  const html = await buildReport(dir);
  assert.doesNotMatch(html, /id="results-table"/);
  assert.match(sectionOf(html, 'results'), /No evaluation results yet/);
  const clusters = sectionOf(html, 'clusters');
  assert.doesNotMatch(clusters, /NMI/);
  assert.deepEqual(cells(clusters, 'span').slice(0, 3), ['#0', '#1', '#2']);
  assert.equal(count(clusters, /<img/g), 22);
  assert.equal(count(sectionOf(html, 'retrievals'), /class="tile wrong"/g), 1, 'labels from retrievals.json');
});

test('a damaged artifact is named in its part; the rest of the report is there', async () => {
  const dir = tmp('damaged');
  writeExperiment(dir);
  writeFileSync(join(dir, 'stages', 'cluster-c1', 'assignments.npy'), 'not numpy');
  const html = await buildReport(dir);
  assert.match(sectionOf(html, 'clusters'), /<h3>cluster-c1<\/h3><p class="note">Could not be shown: .*assignments\.npy/);
  assert.equal(count(html, /<svg/g), 5);
  assert.deepEqual(tableOf(html, 'results-table'), EXPECTED_TABLE);
});

test('a folder that is not an experiment is named, with what was expected', async () => {
  const dir = tmp('empty');
  await assert.rejects(writeReport(dir), (e: Error) => e.message.includes(dir) && /not an experiment folder \(no results\.json/.test(e.message));
  writeFileSync(join(dir, 'results.json'), '{"format": "selfsup.clusters"}');
  await assert.rejects(writeReport(dir), /results\.json: format "selfsup\.clusters", expected selfsup\.experiment-results/);
  assert.equal(existsSync(join(dir, 'report.html')), false);
});

test('ten methods take a few seconds at most', async () => {
  const dir = tmp('ten');
  writeExperiment(dir);
  edit(dir, (r) => {
    const names = Object.keys(r.methods);
    for (let i = 0; Object.keys(r.methods).length < 10; i++) {
      const from = names[i % names.length]!;
      r.methods[`${from}${i}`] = { ...r.methods[from]!, stages: { ...r.methods[from]!.stages } };
      // Each copy shows the clustering and the retrievals again.
      for (const s of r.stages) if (s.methods.includes(from)) s.methods.push(`${from}${i}`);
    }
    for (const m of Object.values(r.methods)) m.stages.retrievals = 'retrievals-r1';
    // Nine more clusterings and training runs, reading the same folders.
    for (const id of ['cluster-c1', 'pretext-p1']) {
      const s = r.stages.find((x) => x.id === id)!;
      for (let i = 0; i < 9; i++) r.stages.push({ ...s, id: `${id}${i}` });
    }
  });
  const t0 = performance.now();
  const html = await buildReport(dir);
  const s = (performance.now() - t0) / 1000;
  console.log(`ten methods: ${s.toFixed(2)} s, ${(html.length / 1024).toFixed(0)} KiB, ${count(html, /<img/g)} images`);
  assert.equal(tableOf(html, 'results-table').rows.length, 10);
  assert.equal(count(html, /<svg/g), 3 + 11 + 10);
  assert.ok(s < 5, `${s.toFixed(1)} s`);
});
