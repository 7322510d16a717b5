// Supervised training on a cache's own labels: the upper-bound baseline.
export {
  trainSupervised, cacheLabels, classCount, SUPERVISED_FORMAT, type SupervisedConfig, type SupervisedTrainOptions, type SupervisedResult,
} from './train.js';
export { supervisedSchema, type SupervisedStageOptions } from './schema.js';
