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
  util: 0, engine: 0, nn: 1, optim: 1, io: 1, data: 2, models: 2, artifacts: 3,
  train: 4, cluster: 4, features: 5, pretext: 5, transfer: 5, supervised: 5, eval: 6, bench: 6, export: 6, cli: 7,
};
/** Lower folders a folder still may not import. */
const FORBIDDEN: Record<string, string[]> = { eval: ['pretext', 'transfer'], export: ['pretext', 'transfer', 'supervised'] };
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
