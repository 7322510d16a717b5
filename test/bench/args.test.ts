// The bench scripts' options: --help prints the script's header comment; an unknown option or a
// number option given a word is named in one line with that usage, exit 2, no stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// dist/bench/permutations.js: its only option is --seed (default '0'); with bad options it
// stops before timing anything.
const script = fileURLToPath(new URL('../../bench/permutations.js', import.meta.url));
const bench = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
const firstLine = readFileSync(script, 'utf8').split('\n')[0]!.replace(/^\/\/ /, '');

test('--help prints the header comment and exits 0', () => {
  const r = bench('--help');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.startsWith(firstLine), r.stdout);
  assert.ok(!r.stdout.includes('import '), 'the usage stops at the first line of code');
});

test('an unknown option: its name and the usage, exit 2', () => {
  const r = bench('--sede', '3');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^bench\/permutations: .*'--sede'/);
  assert.ok(r.stderr.includes(firstLine));
  assert.ok(!r.stderr.includes('    at '), 'no stack trace');
});

test('a number option given a word: named, exit 2', () => {
  const r = bench('--seed', 'one');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^bench\/permutations: --seed expects a number, got 'one'/);
});

test('a word option given a word it does not take: its words named, exit 2', () => {
  // dist/bench/features.js: --precision takes fp32 or bf16; it stops before timing anything.
  const features = fileURLToPath(new URL('../../bench/features.js', import.meta.url));
  const r = spawnSync(process.execPath, [features, '--precision', 'fp16'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^bench\/features: --precision expects fp32 or bf16, got 'fp16'/);
  assert.ok(!r.stderr.includes('    at '), 'no stack trace');
});
