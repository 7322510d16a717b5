// Initial centroids for k-means: k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's
// greedy variant: 2 + floor(ln K) candidates per step, keep the one that lowers the potential
// most) or K distinct random rows. Random draws come from a JS Rng, never libtorch's global
// generator, so a seed alone fixes the result.
import { type Tensor, tensor, tidy } from '../engine/index.js';
import { Rng } from '../data/rng.js';

/** `count` distinct integers from [0, n), in draw order (a partial Fisher-Yates shuffle). */
export function sampleWithoutReplacement(rng: Rng, n: number, count: number): Int32Array {
  if (count > n) throw new RangeError(`cannot draw ${count} distinct rows out of ${n}`);
  const swapped = new Map<number, number>(); // sparse view of the shuffled array
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(n - i);
    const vj = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out[i] = vj;
  }
  return out;
}

const rowsOf = (x: Tensor, idx: ArrayLike<number>): Tensor =>
  x.indexSelect(0, tensor(Int32Array.from(idx), { dtype: 'int64', device: x.device }));

/** K distinct rows of x chosen uniformly at random, float32 [K, D]. */
export function randomInit(x: Tensor, k: number, rng: Rng): Tensor {
  return tidy(() => rowsOf(x, sampleWithoutReplacement(rng, x.shape[0]!, k)).to('float32').contiguous());
}

/**
 * Greedy k-means++ on the rows of x [n, D] (float32): the first centroid is a uniformly random
 * row; each next one is the best of `localTrials` rows drawn with probability proportional to
 * their squared distance to the nearest centroid chosen so far (the one that leaves the lowest
 * total). Returns float32 [K, D]. One matrix product per step (all rows against the candidates);
 * the sampling and the running minimum distances are plain JS over n numbers, which keeps the
 * number of libtorch calls per step at three.
 */
export function kmeansPlusPlus(x: Tensor, k: number, rng: Rng, opts: { localTrials?: number } = {}): Tensor {
  const n = x.shape[0]!;
  if (k > n) throw new RangeError(`k-means++: k = ${k} is more than the ${n} rows`);
  const trials = opts.localTrials ?? 2 + Math.floor(Math.log(k));
  const xSq = tidy(() => Float64Array.from(x.square().sum(1).data() as Float32Array)); // ||x||^2
  /** x . rows[cands] for every x: n x m, row-major. */
  const dots = (cands: number[]): Float32Array => tidy(() => x.mm(rowsOf(x, cands).t()).contiguous().data() as Float32Array);
  const sqDist = (dot: number, i: number, c: number) => Math.max(0, xSq[i]! - 2 * dot + xSq[c]!);

  const first = rng.int(n);
  const chosen = [first];
  const closest = new Float64Array(n); // squared distance to the nearest chosen centroid
  const d0 = dots([first]);
  for (let i = 0; i < n; i++) closest[i] = sqDist(d0[i]!, i, first);
  const cdf = new Float64Array(n);
  const next = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) cdf[i] = total += closest[i]!;
    const cands: number[] = [];
    for (let t = 0; t < trials; t++) {
      if (!(total > 0)) {
        cands.push(rng.int(n)); // every row coincides with a chosen centroid: any row will do
        continue;
      }
      const u = rng.next() * total; // inverse CDF: the first row whose cumulative sum exceeds u
      let lo = 0, hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cdf[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      cands.push(lo);
    }
    const d = dots(cands);
    let best = 0, bestPot = Infinity;
    for (let t = 0; t < trials; t++) {
      let pot = 0;
      for (let i = 0; i < n; i++) pot += Math.min(closest[i]!, sqDist(d[i * trials + t]!, i, cands[t]!));
      if (pot < bestPot) [best, bestPot] = [t, pot];
    }
    for (let i = 0; i < n; i++) next[i] = Math.min(closest[i]!, sqDist(d[i * trials + best]!, i, cands[best]!));
    closest.set(next);
    chosen.push(cands[best]!);
  }
  return tidy(() => rowsOf(x, chosen).to('float32').contiguous());
}
