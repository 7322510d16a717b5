// The declarations of native_api.ts and the addon agree: the addon exports exactly the declared
// functions, and each group lists the bindings its .cc file registers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { N } from '../../src/engine/native.js';
import { NATIVE_FUNCTIONS } from '../../src/engine/native_api.js';

const NATIVE_SRC = fileURLToPath(new URL('../../../native/src/', import.meta.url));
const declared: string[] = Object.values(NATIVE_FUNCTIONS).flat();

const sorted = (names: Iterable<string>) => [...names].sort();
const missingFrom = (names: readonly string[], from: readonly string[]) => names.filter((n) => !from.includes(n));

test('the addon exports exactly the declared functions', () => {
  assert.equal(new Set(declared).size, declared.length, `listed twice: ${declared.filter((n, i) => declared.indexOf(n) !== i).join(', ')}`);
  const exported = Object.keys(N);
  assert.deepEqual(missingFrom(exported, declared), [], 'exported by the addon but not declared');
  assert.deepEqual(missingFrom(declared, exported), [], 'declared but not exported by the addon');
  for (const name of exported) assert.equal(typeof (N as unknown as Record<string, unknown>)[name], 'function', name);
});

test("each group lists the bindings its .cc file registers", () => {
  const groups: Record<string, readonly string[]> = NATIVE_FUNCTIONS;
  const files = readdirSync(NATIVE_SRC).filter((f) => f.endsWith('.cc'));
  for (const file of files) {
    const registered = [...readFileSync(NATIVE_SRC + file, 'utf8').matchAll(/\bEXPORT\((\w+)\)/g)].map((m) => m[1]!);
    const group = file.slice(0, -'.cc'.length);
    if (registered.length === 0) {
      assert.equal(groups[group], undefined, `${file} registers nothing but has a group`);
      continue;
    }
    assert.ok(groups[group], `${file} registers ${registered.join(', ')} but NATIVE_FUNCTIONS has no group '${group}'`);
    assert.deepEqual(sorted(groups[group]), sorted(registered), `group '${group}' against ${file}`);
  }
  assert.deepEqual(missingFrom(Object.keys(groups), files.map((f) => f.slice(0, -'.cc'.length))), [], 'groups without a .cc file');
});

// Wrong arguments do not compile (never run: the checks are tsc's).
export function wrongArgumentsDoNotCompile(): void {
  const t = N.zeros([2], 0, null);
  // @ts-expect-error: a dtype name where the binding takes a code
  N.zeros([2], 'float32', null);
  // @ts-expect-error: an unknown dtype code
  N.ones([2], 8, 'cpu');
  // @ts-expect-error: a device the binding rejects
  N.to(t, null, 'tpu');
  // @ts-expect-error: a number where a tensor is required
  N.matmul(t, 1);
  // @ts-expect-error: a missing argument
  N.conv2d(t, t, null, [1, 1], [0, 0], [1, 1]);
  // @ts-expect-error: max over a dim gives [values, indices], not a tensor
  const m: typeof t = N.max(t, 0, false);
  // @ts-expect-error: an unknown reduction code
  N.mseLoss(t, t, 3);
  void m;
}
