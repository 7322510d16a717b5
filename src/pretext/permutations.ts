// Jigsaw permutation sets (Noroozi & Favaro 2016): greedy maximal average Hamming distance
// over all 9! = 362880 orderings of the 3x3 tiles, as the authors' released code does.
//
// Start from a random permutation; repeatedly add the candidate whose summed (equivalently
// mean) Hamming distance to the permutations already chosen is largest. With `minHamming` D,
// candidates closer than D to any chosen permutation are excluded. Ties go to the lowest
// index in lexicographic order, which is also what the reference code's argmax does (its
// candidate list is itertools.permutations order with chosen rows deleted).
import { Rng } from '../data/rng.js';

export const TILES = 9;
export const PERMUTATION_COUNT = 362880; // 9!

export interface PermutationSetOptions {
  /** How many permutations to choose, 1..362880. */
  count: number;
  /** Every pair of chosen permutations differs in at least this many positions (default 0: no constraint). */
  minHamming?: number;
  /** Seeds the choice of the first permutation (default 0). */
  seed?: number;
  /** Lexicographic index of the first permutation, instead of a seeded random one. */
  start?: number;
}

export interface PermutationSet {
  /** `count` permutations of 0..8 (0-based), in the order they were chosen. */
  permutations: number[][];
  /** Smallest Hamming distance between two chosen permutations (0 when count is 1: no pairs). */
  minHamming: number;
  /** Mean Hamming distance over all pairs of chosen permutations (0 when count is 1). */
  meanHamming: number;
}

/** Number of positions where a and b differ. */
export function hamming(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`hamming: lengths differ (${a.length} vs ${b.length})`);
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d;
}

let allCache: Uint8Array | undefined;

/** All 9! permutations of 0..8 in lexicographic order, as a Uint8Array [362880 * 9]. */
export function allPermutations(): Uint8Array {
  if (allCache) return allCache;
  const out = new Uint8Array(PERMUTATION_COUNT * TILES);
  const p = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  for (let r = 0; r < PERMUTATION_COUNT; r++) {
    out.set(p, r * TILES);
    // Next permutation in lexicographic order.
    let i = TILES - 2;
    while (i >= 0 && p[i]! > p[i + 1]!) i--;
    if (i < 0) break;
    let j = TILES - 1;
    while (p[j]! < p[i]!) j--;
    [p[i], p[j]] = [p[j]!, p[i]!];
    for (let a = i + 1, b = TILES - 1; a < b; a++, b--) [p[a], p[b]] = [p[b]!, p[a]!];
  }
  return (allCache = out);
}

let byCellCache: Int32Array | undefined;

/**
 * For each (position i, tile v), the indices of the 8! = 40320 permutations with p[i] = v:
 * an Int32Array [9 * 9 * 40320], block (i * 9 + v). Lets a pick touch only the candidates that
 * agree with it somewhere instead of comparing all 9 positions of every candidate.
 */
function permutationsByCell(): Int32Array {
  if (byCellCache) return byCellCache;
  const all = allPermutations();
  const block = PERMUTATION_COUNT / TILES; // 40320
  const out = new Int32Array(TILES * TILES * block);
  const fill = new Int32Array(TILES * TILES);
  for (let c = 0; c < PERMUTATION_COUNT; c++) {
    for (let i = 0; i < TILES; i++) {
      const cell = i * TILES + all[c * TILES + i]!;
      out[cell * block + fill[cell]!++] = c;
    }
  }
  return (byCellCache = out);
}

/** Chooses a permutation set; see the file comment for the rule. */
export function generatePermutations(opts: PermutationSetOptions): PermutationSet {
  const { count, minHamming = 0, seed = 0 } = opts;
  if (!Number.isInteger(count) || count < 1 || count > PERMUTATION_COUNT) {
    throw new Error(`generatePermutations: count must be an integer in 1..${PERMUTATION_COUNT}, got ${count}`);
  }
  if (!Number.isInteger(minHamming) || minHamming < 0 || minHamming > TILES) {
    throw new Error(`generatePermutations: minHamming must be an integer in 0..${TILES}, got ${minHamming}`);
  }
  const all = allPermutations();
  const byCell = permutationsByCell();
  const block = PERMUTATION_COUNT / TILES;
  const sum = new Int32Array(PERMUTATION_COUNT); // summed distance to the chosen set
  const minDist = new Uint8Array(PERMUTATION_COUNT).fill(TILES + 1); // nearest chosen one (10: none yet)
  const matches = new Uint8Array(PERMUTATION_COUNT); // scratch: positions agreeing with the new pick
  const chosen = new Uint8Array(PERMUTATION_COUNT);

  let pick = opts.start ?? new Rng(seed).int(PERMUTATION_COUNT);
  if (!Number.isInteger(pick) || pick < 0 || pick >= PERMUTATION_COUNT) {
    throw new Error(`generatePermutations: start must be an integer in 0..${PERMUTATION_COUNT - 1}, got ${pick}`);
  }
  const picks: number[] = [];
  let setMin = Infinity;
  let pairSum = 0; // sum of distances over unordered pairs of chosen permutations
  for (;;) {
    picks.push(pick);
    chosen[pick] = 1;
    pairSum += sum[pick]!;
    setMin = Math.min(setMin, minDist[pick]!);
    if (picks.length === count) break;
    // Distances to the new pick: 9 minus the positions where a candidate agrees with it.
    for (let i = 0; i < TILES; i++) {
      const cell = i * TILES + all[pick * TILES + i]!;
      const from = cell * block;
      for (let k = from; k < from + block; k++) matches[byCell[k]!]!++;
    }
    // Update the running sums and minima and find the next pick in one pass.
    let best = -1;
    let bestSum = -1;
    for (let c = 0; c < PERMUTATION_COUNT; c++) {
      const d = TILES - matches[c]!;
      matches[c] = 0;
      const s = (sum[c] = sum[c]! + d);
      const m = d < minDist[c]! ? (minDist[c] = d) : minDist[c]!;
      if (s > bestSum && m >= minHamming && chosen[c] === 0) {
        bestSum = s;
        best = c;
      }
    }
    if (best < 0) {
      throw new Error(
        `generatePermutations: only ${picks.length} permutations with minimum Hamming distance ${minHamming} ` +
          `could be found greedily (asked for ${count}); lower --count or --min-hamming`,
      );
    }
    pick = best;
  }
  const n = picks.length;
  const permutations = picks.map((p) => Array.from(all.subarray(p * TILES, (p + 1) * TILES)));
  return {
    permutations,
    minHamming: n > 1 ? setMin : 0,
    meanHamming: n > 1 ? pairSum / ((n * (n - 1)) / 2) : 0,
  };
}

/** The set as the JSON the command prints and writes: one permutation per line. */
export function permutationSetJson(s: PermutationSet): string {
  const rows = s.permutations.map((p) => `    [${p.join(', ')}]`).join(',\n');
  return `{\n  "permutations": [\n${rows}\n  ],\n  "minHamming": ${s.minHamming},\n  "meanHamming": ${s.meanHamming}\n}\n`;
}
