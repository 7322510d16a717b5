// Evaluation of learned representations: linear probes per layer, kNN, low-shot, fine-tuning,
// cluster quality; the stage that runs them and the table that compares them.
export { knnClassify, knnScores, BLOCK_SIMILARITIES, NORM_EPS, type KnnOptions, type KnnResult, type LabeledFeatures } from './knn.js';
export { clusterQuality, clusterAccuracy, type ClusterQuality } from './cluster_quality.js';
export { linearSumAssignment, type Assignment, type CostMatrix } from './hungarian.js';
export { openEvalModel, type EvalModel } from './model.js';
export { defaultTaps, defaultPooledDim, gridFor, planHeads, type TapHead } from './taps.js';
export { extractHeads, MAX_FEATURE_BYTES, type HeadFeatures } from './extract.js';
export { evalSchema, EVAL_PROTOCOLS, type EvalProtocol, type EvalOptions, type EvalStageOptions } from './schema.js';
export { evaluate, EVAL_FORMAT, EVAL_VERSION, EVAL_DIR, type EvalResults, type EvalOutput } from './stage.js';
export { resultsTable, formatTable, evalFolder, type ResultsTable, type TableRow } from './table.js';
export { clusterQualityStage, clustersEvalSchema } from './clusters_stage.js';
export { finetune, finetuneSchema, FINETUNE_FORMAT, type FinetuneOptions, type FinetuneStageOptions, type FinetuneConfig } from './finetune.js';
export {
  trainLinearProbes, LINEAR_PROBE_DEFAULTS, batchBounds, probeLr,
  type FeatureMatrix, type ProbeHead, type LinearProbeInput, type LinearProbeOptions, type LinearProbeProgress, type LinearProbeResult,
} from './linear.js';
export {
  perClassSubset, fractionSubset, lowShotProbe, meanStd, LOW_SHOT_DEFAULTS,
  type LowShotOptions, type LowShotSetting, type LowShotHeadResult,
} from './lowshot.js';
