// Evaluation of learned features: weighted kNN classification, cluster quality against true classes.
export { knnClassify, knnScores, BLOCK_SIMILARITIES, NORM_EPS, type KnnOptions, type KnnResult, type LabeledFeatures } from './knn.js';
export { clusterQuality, clusterAccuracy, type ClusterQuality } from './cluster_quality.js';
export { linearSumAssignment, type Assignment, type CostMatrix } from './hungarian.js';
