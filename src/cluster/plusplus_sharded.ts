// Greedy k-means++ (init.ts's kmeansPlusPlus) over rows held by several ranks, making the same
// random choices as one process on the whole matrix: the shared seeded rng draws a global row
// (the first centroid) or a point u of the squared-distance distribution; the ranks' totals
// (summed across ranks, one slot each) say which rank's range u falls in, that rank finds the row
// in its own cumulative sums, and the row comes to every rank from its owner (shard.ts). The
// candidates' potentials are summed across ranks, so every rank keeps the same candidate.
// Per centroid: five small collectives and one [rows, trials] matrix product per rank.
import { type Tensor, cat, tidy, keep, dispose } from '../engine/index.js';
import { rank, worldSize } from '../distributed/index.js';
import type { Rng } from '../data/rng.js';
import { rowsFromOwners, sumAcross, type RowShard } from './shard.js';

/** float32 [K, D]: the centroids kmeansPlusPlus(whole matrix, k, rng) would choose. x is this rank's [rows, D]. */
export function shardedKmeansPlusPlus(x: Tensor, shard: RowShard, k: number, rng: Rng, opts: { localTrials?: number } = {}): Tensor {
  const { total: n, rows, start } = shard;
  if (k > n) throw new RangeError(`k-means++: k = ${k} is more than the ${n} rows`);
  const trials = opts.localTrials ?? 2 + Math.floor(Math.log(k));
  const w = worldSize(), me = rank();
  const xSqT = keep(tidy(() => x.square().sum(1).to('float64').unsqueeze(1).contiguous())); // [rows, 1]
  const xSq = xSqT.data() as Float64Array;
  const chosen: Tensor[] = [];
  try {
    /** Rows (global ids) from their owners: float32 [m, D] and their ||x||^2. */
    const fetch = (ids: number[]) => {
      const r = keep(rowsFromOwners(x, shard, ids));
      const sq = tidy(() => Float64Array.from(rowsFromOwners(xSqT, shard, ids).data() as Float64Array));
      return { r, sq };
    };
    /** This rank's x . cands for every row: rows x m, row-major. */
    const dots = (cands: Tensor): Float32Array => tidy(() => x.mm(cands.t()).contiguous().data() as Float32Array);
    const sqDist = (dot: number, i: number, cSq: number) => Math.max(0, xSq[i]! - 2 * dot + cSq);

    const first = fetch([rng.int(n)]);
    chosen.push(first.r);
    const closest = new Float64Array(rows); // squared distance to the nearest chosen centroid
    const d0 = dots(first.r);
    for (let i = 0; i < rows; i++) closest[i] = sqDist(d0[i]!, i, first.sq[0]!);
    const cdf = new Float64Array(rows);
    for (let c = 1; c < k; c++) {
      let mine = 0;
      for (let i = 0; i < rows; i++) cdf[i] = mine += closest[i]!;
      const slots = new Array<number>(w).fill(0);
      slots[me] = mine;
      const totals = sumAcross(slots); // every rank's total, in rank order
      const total = totals.reduce((s, t) => s + t, 0);
      const ids = new Array<number>(trials).fill(0); // global ids, written by their owners
      for (let t = 0; t < trials; t++) {
        if (!(total > 0)) {
          const any = rng.int(n); // every row coincides with a chosen centroid: any row will do
          ids[t] = me === 0 ? any : 0;
          continue;
        }
        const u = rng.next() * total;
        let owner = 0, before = 0;
        while (owner < w - 1 && (before + totals[owner]! <= u || totals[owner] === 0)) before += totals[owner++]!;
        if (owner !== me) continue;
        const v = u - before; // the first of this rank's rows whose cumulative sum exceeds v
        let lo = 0, hi = rows - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cdf[mid]! > v) hi = mid;
          else lo = mid + 1;
        }
        ids[t] = start + lo;
      }
      const cands = fetch(sumAcross(ids));
      try {
        const d = dots(cands.r);
        const pots = new Array<number>(trials).fill(0);
        for (let t = 0; t < trials; t++) {
          let pot = 0;
          for (let i = 0; i < rows; i++) pot += Math.min(closest[i]!, sqDist(d[i * trials + t]!, i, cands.sq[t]!));
          pots[t] = pot;
        }
        const all = sumAcross(pots);
        let best = 0, bestPot = Infinity;
        for (let t = 0; t < trials; t++) if (all[t]! < bestPot) [best, bestPot] = [t, all[t]!];
        for (let i = 0; i < rows; i++) closest[i] = Math.min(closest[i]!, sqDist(d[i * trials + best]!, i, cands.sq[best]!));
        chosen.push(keep(tidy(() => cands.r.narrow(0, best, 1).clone())));
      } finally {
        cands.r.dispose();
      }
    }
    return tidy(() => cat(chosen).to('float32').contiguous());
  } finally {
    dispose(chosen);
    xSqT.dispose();
  }
}
