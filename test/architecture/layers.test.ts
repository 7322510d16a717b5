// Imports run one way (docs/architecture.md): a folder of src/ imports only from folders of a
// lower layer. The one exception: src/artifacts/manifest.ts, which imports only io, is used by
// the image cache (data) to write its manifest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');
const LAYER: Record<string, number> = {
  util: 0, engine: 0, nn: 1, optim: 1, io: 1, distributed: 1, data: 2, models: 2, artifacts: 3,
  train: 4, cluster: 4, report: 4, features: 5, pretext: 5, transfer: 5, supervised: 5, eval: 6, bench: 6, export: 6, experiment: 7, cli: 8,
};
/** Lower folders a folder still may not import. */
const FORBIDDEN: Record<string, string[]> = {
  eval: ['pretext', 'transfer'],
  export: ['pretext', 'transfer', 'supervised'],
  // Opening a report never loads libtorch.
  report: ['engine', 'nn', 'optim', 'models', 'train', 'cluster', 'features', 'pretext', 'transfer', 'supervised', 'eval'],
};
const ALLOWED = new Set(['artifacts/manifest.ts']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every import of src/ goes to its own folder, a lower layer, or an allowed module', () => {
  const bad: string[] = [];
  let checked = 0;
  for (const file of files(SRC)) {
    const from = relative(SRC, file).split('/');
    if (from.length < 2) continue; // src/index.ts exports everything
    const me = from[0]!;
    assert.ok(me in LAYER, `src/${me} has a layer`);
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.\.?\/[^']+)'/g)) {
      const target = relative(SRC, normalize(join(dirname(file), m[1]!))).replace(/\.js$/, '.ts');
      const other = target.split('/')[0]!;
      checked++;
      if (other === me || ALLOWED.has(target)) continue;
      if (!(other in LAYER) || LAYER[other]! >= LAYER[me]! || FORBIDDEN[me]?.includes(other)) bad.push(`src/${from.join('/')} imports src/${target}`);
    }
  }
  assert.ok(checked > 300, `${checked} imports checked`);
  assert.deepEqual(bad, []);
});

test('nothing src/report imports, directly or through other modules, reaches src/engine', () => {
  const importsOf = (file: string): string[] =>
    [...readFileSync(file, 'utf8').matchAll(/from '(\.\.?\/[^']+)'/g)].map((m) => normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
  const seen = new Set<string>();
  const todo = files(join(SRC, 'report'));
  assert.ok(todo.length >= 5, 'src/report has its files');
  const reached: string[] = [];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const rel = relative(SRC, f);
    if (/^(engine|nn|models|train)\//.test(rel) || rel.startsWith('..')) reached.push(rel);
    todo.push(...importsOf(f));
  }
  assert.deepEqual(reached, []);
  assert.ok(seen.has(join(SRC, 'data', 'cache', 'rows.ts')) && seen.has(join(SRC, 'io', 'npy.ts')), 'the walk follows imports into other folders');
});
