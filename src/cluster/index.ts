// Clustering of feature matrices: preprocessing (PCA, whitening, L2), k-means (Lloyd,
// mini-batch), nearest-centroid pseudo-labels, agreement with true classes, saved folders.
export { kmeans, type KMeansOptions, type KMeansInit, type KMeansProgress, type KMeansRun, type KMeansResult } from './kmeans.js';
export { kmeansPlusPlus, randomInit } from './init.js';
export { shardRange, wholeShard, labelsFromAll, type RowShard } from './shard.js';
export { assignNearest, CentroidTable, defaultChunkRows, defaultKernel, KERNEL_BLOCK_ROWS, type Assignment, type KMeansKernel } from './nearest.js';
export { Preprocessor, type PreprocessOptions, type PreprocessConfig } from './preprocess.js';
export { pseudoLabels, pseudoLabelFile, type Centroids } from './assign.js';
export { normalizedMutualInfo, adjustedRandIndex, purity, clusterScores, contingencyTable, type ClusterScores, type ContingencyTable, type Labels } from './metrics.js';
export { loadFeatures, readFeatureRows, featuresHeader } from './features.js';
export {
  writeClusters,
  loadClusters,
  readPseudoLabels,
  CENTROIDS_FILE,
  ASSIGNMENTS_FILE,
  PREPROCESS_FILE,
  SUMMARY_FILE,
  type ClusterSummary,
  type LoadedClusters,
} from './clusters.js';
export { CLUSTERS_FORMAT, CLUSTERS_VERSION } from './clusters.js';
export { clusterSchema, assignSchema, KMEANS_INITS, type ClusterStageOptions, type AssignStageOptions } from './schema.js';
export { clusterStage, assignStage, PSEUDO_LABELS_VERSION, type ClusterResult, type AssignResult } from './stage.js';
