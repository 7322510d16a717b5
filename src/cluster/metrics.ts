// Agreement between a clustering and true classes, as scikit-learn computes them:
// normalized_mutual_info_score (arithmetic mean of the two entropies, its default),
// adjusted_rand_score (Hubert & Arabie 1985), and purity (the share of rows whose cluster's
// most common class is their class). All three come from the contingency table
// n_ij = #{rows of class i in cluster j}, with class sizes a_i and cluster sizes b_j.

export type Labels = ArrayLike<number> | BigInt64Array;

export interface ContingencyTable {
  n: number;
  /** The non-zero cells: class index i, cluster index j, count n_ij. */
  cells: { i: number; j: number; count: number }[];
  classSizes: number[];
  clusterSizes: number[];
}

/** Counts rows per (class, cluster) pair; labels may be any integers (renumbered in order of appearance). */
export function contingencyTable(truth: Labels, pred: Labels): ContingencyTable {
  const n = truth.length;
  if (pred.length !== n) throw new Error(`metrics: ${n} true labels but ${pred.length} cluster labels`);
  const renumber = (a: Labels) => {
    const map = new Map<number, number>();
    const ids = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const v = Number(a[r]);
      let id = map.get(v);
      if (id === undefined) map.set(v, (id = map.size));
      ids[r] = id;
    }
    return { ids, count: map.size };
  };
  const t = renumber(truth), p = renumber(pred);
  const counts = new Map<number, number>(); // key i * clusters + j
  for (let r = 0; r < n; r++) {
    const key = t.ids[r]! * p.count + p.ids[r]!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const classSizes = new Array<number>(t.count).fill(0);
  const clusterSizes = new Array<number>(p.count).fill(0);
  const cells: ContingencyTable['cells'] = [];
  for (const [key, count] of counts) {
    const i = Math.floor(key / p.count), j = key % p.count;
    classSizes[i]! += count;
    clusterSizes[j]! += count;
    cells.push({ i, j, count });
  }
  return { n, cells, classSizes, clusterSizes };
}

/** Shannon entropy (natural log) of a partition with these part sizes. */
function entropy(sizes: number[], n: number): number {
  let h = 0;
  for (const s of sizes) if (s > 0) h -= (s / n) * Math.log(s / n);
  return h;
}

/**
 * NMI = MI / ((H(truth) + H(pred)) / 2), MI = sum_ij (n_ij / n) log(n n_ij / (a_i b_j)).
 * As scikit-learn: 1 when both labelings have a single part (or no rows), 0 when MI is 0.
 */
export function normalizedMutualInfo(truth: Labels, pred: Labels): number {
  const c = contingencyTable(truth, pred);
  if (c.n === 0 || (c.classSizes.length === 1 && c.clusterSizes.length === 1)) return 1;
  let mi = 0;
  for (const { i, j, count } of c.cells) mi += (count / c.n) * Math.log((c.n * count) / (c.classSizes[i]! * c.clusterSizes[j]!));
  if (mi <= 0) return 0;
  return mi / ((entropy(c.classSizes, c.n) + entropy(c.clusterSizes, c.n)) / 2);
}

const pairs = (m: number) => (m * (m - 1)) / 2;

/**
 * ARI = (index - expected) / (max - expected) with index = sum_ij C(n_ij, 2),
 * expected = sum_i C(a_i, 2) sum_j C(b_j, 2) / C(n, 2), max = (sum_i C(a_i, 2) + sum_j C(b_j, 2)) / 2.
 * As scikit-learn: 1 when the denominator is 0 (both labelings trivial in the same way).
 */
export function adjustedRandIndex(truth: Labels, pred: Labels): number {
  const c = contingencyTable(truth, pred);
  const index = c.cells.reduce((s, { count }) => s + pairs(count), 0);
  const sumA = c.classSizes.reduce((s, a) => s + pairs(a), 0);
  const sumB = c.clusterSizes.reduce((s, b) => s + pairs(b), 0);
  const total = pairs(c.n);
  if (total === 0) return 1;
  const expected = (sumA * sumB) / total;
  const max = (sumA + sumB) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}

/** Purity = (1 / n) sum_j max_i n_ij. */
export function purity(truth: Labels, pred: Labels): number {
  const c = contingencyTable(truth, pred);
  if (c.n === 0) return 1;
  const best = new Array<number>(c.clusterSizes.length).fill(0);
  for (const { j, count } of c.cells) best[j] = Math.max(best[j]!, count);
  return best.reduce((s, v) => s + v, 0) / c.n;
}

export interface ClusterScores {
  nmi: number;
  ari: number;
  purity: number;
}

/** All three scores of a clustering against true classes. */
export function clusterScores(truth: Labels, pred: Labels): ClusterScores {
  return { nmi: normalizedMutualInfo(truth, pred), ari: adjustedRandIndex(truth, pred), purity: purity(truth, pred) };
}
