// How well a clustering matches the true classes: NMI, ARI and purity (src/cluster/metrics.ts,
// as scikit-learn computes them) and cluster accuracy, the share of rows that are right under
// the best one-to-one matching of clusters to classes (the Hungarian algorithm on the K x C
// contingency table). With more clusters than classes the clusters left unmatched count as
// wrong, so accuracy <= purity.
import { clusterScores, contingencyTable, type Labels } from '../cluster/index.js';
import { linearSumAssignment } from './hungarian.js';

export interface ClusterQuality {
  /** Normalised mutual information, arithmetic mean of the two entropies (scikit-learn's default). */
  nmi: number;
  /** Adjusted Rand index. */
  ari: number;
  /** Share of rows whose cluster's most common class is their class. */
  purity: number;
  /** Share of rows right under the best one-to-one cluster -> class matching. */
  accuracy: number;
  /** Non-empty clusters (distinct values of pred). */
  clusters: number;
  /** Non-empty classes (distinct values of truth). */
  classes: number;
}

/**
 * Cluster accuracy: max over one-to-one maps m from clusters to classes of
 * (1 / n) #{rows r : m(pred_r) = truth_r}. Labels may be any integers (only which rows share a
 * value matters), the two labelings the same length n; 1 when n = 0 (as purity).
 */
export function clusterAccuracy(truth: Labels, pred: Labels): number {
  return accuracyOf(contingencyTable(truth, pred));
}

function accuracyOf(table: ReturnType<typeof contingencyTable>): number {
  if (table.n === 0) return 1;
  const k = table.clusterSizes.length, c = table.classSizes.length;
  // counts[j * C + i] = rows of class i in cluster j: K x C, clusters as rows.
  const counts = new Float64Array(k * c);
  for (const { i, j, count } of table.cells) counts[j * c + i] = count;
  return linearSumAssignment({ data: counts, rows: k, cols: c }, true).total / table.n;
}

/** NMI, ARI, purity and cluster accuracy of a clustering pred [N] against true classes truth [N]. */
export function clusterQuality(truth: Labels, pred: Labels): ClusterQuality {
  const table = contingencyTable(truth, pred);
  return {
    ...clusterScores(truth, pred),
    accuracy: accuracyOf(table),
    clusters: table.clusterSizes.length,
    classes: table.classSizes.length,
  };
}
