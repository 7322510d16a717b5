// `selfsup report DIR [--out FILE]`, and the report written by a process that never loads libtorch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selfsup } from '../helpers/cli.js';
import { tempFolders } from '../helpers/tmp.js';
import { EXPECTED_TABLE, writeExperiment } from './fixture.js';

const tmp = tempFolders('report-cli');

test('selfsup report DIR writes DIR/report.html, or --out; a wrong folder is named', () => {
  const dir = tmp('run');
  writeExperiment(dir);
  const r = selfsup(['report', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^written ${join(dir, 'report.html')} \\(\\d+\\.\\d s\\)$`, 'm'));
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<table id="results-table">/);
  const out = join(tmp('other'), 'page.html');
  assert.equal(selfsup(['report', dir, '--out', out]).status, 0);
  assert.ok(existsSync(out));
  const bad = selfsup(['report', tmp('empty')]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^selfsup: .*empty-\d+: not an experiment folder \(no results\.json/);
});

test('selfsup report DIR --markdown prints the results table as Markdown and writes nothing', () => {
  const dir = tmp('md');
  writeExperiment(dir);
  const r = selfsup(['report', dir, '--markdown']);
  assert.equal(r.status, 0, r.stderr);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const expected = [line(EXPECTED_TABLE.head), line(EXPECTED_TABLE.head.map((_, i) => (i ? '---:' : '---'))), ...EXPECTED_TABLE.rows.map(line)];
  assert.deepEqual(r.stdout.trimEnd().split('\n'), expected);
  assert.equal(existsSync(join(dir, 'report.html')), false);
});

test('writing a report loads neither libtorch nor the native addon', () => {
  const dir = tmp('run');
  writeExperiment(dir);
  const report = new URL('../../src/report/index.js', import.meta.url).href;
  const code = `const { writeReport } = await import(${JSON.stringify(report)});
await writeReport(${JSON.stringify(dir)});
const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
console.log(JSON.stringify({ torch: /libtorch|selfsup_native/.test(maps), sharp: /sharp/.test(maps) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // sharp's library is mapped, so the check sees loaded native libraries.
  assert.deepEqual(JSON.parse(r.stdout), { torch: false, sharp: true });
});
