// Index arithmetic of the loader, in plain JS: epoch order, train/validation split, and
// class-balanced draws. Each depends only on a seed and counters (epoch, batch), never on
// what ran before, which is what makes a loader resumable at any batch.
import { Rng, deriveSeed } from '../rng.js';

// Salts keep the random streams for different purposes apart.
export const STREAM = { order: 0x6f72, split: 0x7370, balanced: 0x6261, augment: 0x6175 } as const;

/** The order in which `count` positions are visited in an epoch (a permutation, or 0..count-1). */
export function epochOrder(count: number, seed: number, epoch: number, shuffle = true): Int32Array {
  if (!shuffle) return Int32Array.from({ length: count }, (_, i) => i);
  return new Rng(deriveSeed(seed, STREAM.order, epoch)).permutation(count);
}

/** One process's part of the data: rank `rank` of `count` (DistributedSampler's num_replicas). */
export interface Shard {
  rank: number;
  count: number;
}

/** Positions per shard: the epoch padded (repeating its start) to a multiple of the shard count. */
export const shardLength = (n: number, count: number): number => Math.ceil(n / count);

/**
 * DistributedSampler's shard of an epoch order: the order padded to shardLength * count by
 * repeating it from the start, and every count-th position from `rank` on. The shards are
 * disjoint when count divides n and together cover the order.
 */
export function shardOrder(order: Int32Array, shard: Shard): Int32Array {
  const n = order.length;
  const len = n === 0 ? 0 : shardLength(n, shard.count);
  const out = new Int32Array(len);
  for (let k = 0; k < len; k++) out[k] = order[(shard.rank + k * shard.count) % n]!;
  return out;
}

export interface SplitOptions {
  /** Fraction of the images held out for validation, in [0, 1]. */
  valFraction?: number;
  /** Or an exact number held out. */
  valCount?: number;
  seed?: number;
}

/**
 * A random split of 0..count-1 into disjoint train and validation index sets that together
 * cover every index; each set sorted ascending. Depends only on count and seed.
 */
export function trainValSplit(count: number, o: SplitOptions): { train: Int32Array; val: Int32Array } {
  if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`trainValSplit: count must be a non-negative integer, got ${count}`);
  let nVal: number;
  if (o.valCount !== undefined) {
    if (!(Number.isInteger(o.valCount) && o.valCount >= 0 && o.valCount <= count)) {
      throw new RangeError(`trainValSplit: valCount must be an integer in [0, ${count}], got ${o.valCount}`);
    }
    nVal = o.valCount;
  } else {
    const f = o.valFraction ?? 0.1;
    if (!(f >= 0 && f <= 1)) throw new RangeError(`trainValSplit: valFraction must be in [0, 1], got ${f}`);
    nVal = Math.round(count * f);
  }
  const perm = new Rng(deriveSeed(o.seed ?? 0, STREAM.split)).permutation(count);
  return { train: perm.slice(nVal).sort(), val: perm.slice(0, nVal).sort() };
}

/** The members of each class among `indices` (labels indexed by image); classes with no member are left out. */
export function groupByClass(labels: ArrayLike<number>, indices: Int32Array): Int32Array[] {
  const byClass = new Map<number, number[]>();
  for (const i of indices) {
    const k = labels[i]!;
    if (!(Number.isInteger(k) && k >= 0)) throw new Error(`class-balanced sampling: label of image ${i} is ${k}, expected a non-negative integer`);
    let m = byClass.get(k);
    if (!m) byClass.set(k, (m = []));
    m.push(i);
  }
  return [...byClass.keys()].sort((a, b) => a - b).map((k) => Int32Array.from(byClass.get(k)!));
}

/**
 * A class-balanced batch: each of `size` draws picks a class uniformly among the non-empty
 * ones, then one of its members uniformly (with replacement, so tiny classes repeat).
 */
export function balancedBatch(groups: Int32Array[], size: number, seed: number, epoch: number, batch: number): Int32Array {
  if (groups.length === 0) throw new Error('class-balanced sampling: no labeled images to draw from');
  const rng = new Rng(deriveSeed(seed, STREAM.balanced, epoch, batch));
  const out = new Int32Array(size);
  for (let k = 0; k < size; k++) {
    const g = groups[rng.int(groups.length)]!;
    out[k] = g[rng.int(g.length)]!;
  }
  return out;
}
