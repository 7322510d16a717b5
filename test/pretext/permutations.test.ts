import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allPermutations, generatePermutations, hamming, PERMUTATION_COUNT } from '../../src/pretext/permutations.js';
import { selfsup } from '../helpers/cli.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('perm');

/** All permutations of 0..n-1 in lexicographic order, by recursion (independent of the library's enumeration). */
function lexPermutations(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  const rec = (prefix: number[], rest: number[]) => {
    if (rest.length === 0) return void out.push(prefix);
    for (let i = 0; i < rest.length; i++) rec([...prefix, rest[i]!], [...rest.slice(0, i), ...rest.slice(i + 1)]);
  };
  rec([], [...Array(n).keys()]);
  return out;
}

function checkValid(perms: number[][]): void {
  const seen = new Set<string>();
  for (const p of perms) {
    assert.deepEqual([...p].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8], `not a permutation of 0..8: ${p}`);
    const key = p.join(',');
    assert.ok(!seen.has(key), `duplicate ${key}`);
    seen.add(key);
  }
}

function pairStats(perms: number[][]): { min: number; mean: number } {
  let min = Infinity;
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < perms.length; i++) {
    for (let j = i + 1; j < perms.length; j++) {
      const d = hamming(perms[i]!, perms[j]!);
      min = Math.min(min, d);
      sum += d;
      pairs++;
    }
  }
  return { min, mean: sum / pairs };
}

test('hamming on hand examples', () => {
  assert.equal(hamming([0, 1, 2, 3, 4, 5, 6, 7, 8], [0, 1, 2, 3, 4, 5, 6, 7, 8]), 0);
  assert.equal(hamming([0, 1, 2, 3, 4, 5, 6, 7, 8], [1, 0, 2, 3, 4, 5, 6, 7, 8]), 2); // one swap
  assert.equal(hamming([0, 1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 0, 3, 4, 5, 6, 7, 8]), 3); // a 3-cycle
  assert.equal(hamming([0, 1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1, 0]), 8); // reversal keeps the centre
  assert.equal(hamming([0, 1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8, 0]), 9); // rotation moves all
  assert.throws(() => hamming([0, 1], [0, 1, 2]), /lengths differ/);
});

test('allPermutations lists the 9! orders in lexicographic order', () => {
  const all = allPermutations();
  assert.equal(all.length, PERMUTATION_COUNT * 9);
  const ref = lexPermutations(9);
  for (let r = 0; r < PERMUTATION_COUNT; r += 997) assert.deepEqual(Array.from(all.subarray(r * 9, r * 9 + 9)), ref[r]);
  assert.deepEqual(Array.from(all.subarray((PERMUTATION_COUNT - 1) * 9)), [8, 7, 6, 5, 4, 3, 2, 1, 0]);
});

test('each pick maximises the summed distance to those before it (lowest index on ties)', () => {
  const cands = lexPermutations(9);
  for (const opts of [{ start: 0 }, { seed: 7 }, { start: 12345, minHamming: 4 }]) {
    const n = 6;
    const minH = opts.minHamming ?? 0;
    const { permutations: perms } = generatePermutations({ count: n, ...opts });
    if (opts.start !== undefined) assert.deepEqual(perms[0], cands[opts.start]);
    for (let k = 1; k < n; k++) {
      // Direct scan over all 9! candidates against the first k picks.
      const chosen = new Set(perms.slice(0, k).map((p) => p.join(',')));
      let best = -1;
      let bestSum = -1;
      for (let c = 0; c < cands.length; c++) {
        if (chosen.has(cands[c]!.join(','))) continue;
        let s = 0;
        let m = 9;
        for (let j = 0; j < k; j++) {
          const d = hamming(cands[c]!, perms[j]!);
          s += d;
          m = Math.min(m, d);
        }
        if (m >= minH && s > bestSum) {
          bestSum = s;
          best = c;
        }
      }
      assert.deepEqual(perms[k], cands[best], `pick ${k} with ${JSON.stringify(opts)}`);
    }
  }
});

test('N=100: mean about 8.08, minimum 2 (paper figures)', () => {
  const s = generatePermutations({ count: 100, seed: 1 });
  assert.equal(s.permutations.length, 100);
  checkValid(s.permutations);
  const ref = pairStats(s.permutations);
  assert.equal(s.minHamming, ref.min);
  assert.ok(Math.abs(s.meanHamming - ref.mean) < 1e-12, `${s.meanHamming} vs ${ref.mean}`);
  assert.equal(s.minHamming, 2);
  assert.ok(Math.abs(s.meanHamming - 8.08) < 0.05, `mean ${s.meanHamming}`);
});

test('N=701 with minimum Hamming 3 is reached', () => {
  const s = generatePermutations({ count: 701, minHamming: 3, seed: 2 });
  assert.equal(s.permutations.length, 701);
  checkValid(s.permutations);
  const ref = pairStats(s.permutations);
  assert.ok(ref.min >= 3, `min ${ref.min}`);
  assert.equal(s.minHamming, ref.min);
  assert.ok(Math.abs(s.meanHamming - ref.mean) < 1e-9);
});

test('same seed gives the same set, different seeds differ', () => {
  const a = generatePermutations({ count: 20, seed: 3 });
  const b = generatePermutations({ count: 20, seed: 3 });
  const c = generatePermutations({ count: 20, seed: 4 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.permutations, c.permutations);
});

test('one permutation: no pairs, figures are 0', () => {
  const s = generatePermutations({ count: 1, seed: 9 });
  checkValid(s.permutations);
  assert.deepEqual([s.minHamming, s.meanHamming], [0, 0]);
});

test('bad counts and an unreachable minimum are clear errors', () => {
  assert.throws(() => generatePermutations({ count: 0 }), /count must be an integer in 1\.\.362880, got 0/);
  assert.throws(() => generatePermutations({ count: 362881 }), /count must be an integer in 1\.\.362880/);
  assert.throws(() => generatePermutations({ count: 5, minHamming: 10 }), /minHamming must be an integer in 0\.\.9/);
  // At distance 9 (derangements of each other) at most 9 permutations can coexist: one per value at position 0.
  assert.throws(() => generatePermutations({ count: 10, minHamming: 9 }), /only \d permutations with minimum Hamming distance 9/);
});

test('CLI: --json prints the set, --out writes it, bad input exits non-zero', () => {
  const out = join(tmp('cli'), 'sub', 'perms.json');
  const ok = selfsup(['pretext', 'permutations', '--count', '5', '--seed', '3', '--json', '--out', out]);
  assert.equal(ok.status, 0, ok.stderr);
  const j = JSON.parse(ok.stdout);
  assert.deepEqual(Object.keys(j), ['permutations', 'minHamming', 'meanHamming']);
  assert.deepEqual(j, generatePermutations({ count: 5, seed: 3 }));
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), j);
  /** The stderr of a run that fails ('' when it succeeds). */
  const run = (args: string[]) => {
    const r = selfsup(['pretext', 'permutations', ...args]);
    return r.status === 0 ? '' : r.stderr;
  };
  assert.match(run(['--count', '0']), /--count must be an integer >= 1/);
  assert.match(run(['--count', '400000']), /--count must be at most 362880/);
  assert.match(run(['--count', '12', '--min-hamming', '9']), /only \d permutations/);
});
