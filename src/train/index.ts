// The shared training loop and its parts.
export {
  Trainer, evaluate, classify, NonFiniteLossError, CHECKPOINT_FILE, METRICS_FILE,
  type TrainTask, type AnyTrainTask, type TaskOutput, type LossOutput, type BackwardContext, type TrainerOptions, type TrainResult, type EpochMetrics,
} from './trainer.js';
export { buildOptimizer, buildScheduler, OPTIMIZERS, SCHEDULES, type OptimConfig, type ParamGroupConfig, type ScheduleConfig } from './recipe.js';
export { stderrLogger, silentLogger, epochLine, type TrainLogger } from './logger.js';
export { resolveDevice, type TrainDevice } from './device.js';
export { progress, type Progress } from '../util/progress.js';
export * from './run_folder.js';
export * from './run.js';
export { trainSchema, trainFields, type TrainStageOptions } from './schema.js';
