// The shared training loop and its parts.
export { Trainer, evaluate, classify, NonFiniteLossError, CHECKPOINT_FILE, METRICS_FILE, type TrainTask, type TaskOutput, type TrainerOptions, type TrainResult, type EpochMetrics } from './trainer.js';
export { buildOptimizer, buildScheduler, OPTIMIZERS, SCHEDULES, type OptimConfig, type ScheduleConfig } from './recipe.js';
export { progress, type Progress } from '../util/progress.js';
export * from './run_folder.js';
export * from './run.js';
export { trainSchema, trainFields, type TrainStageOptions } from './schema.js';
