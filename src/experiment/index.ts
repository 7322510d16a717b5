// The experiment runner: a YAML file of data and methods, unrolled into a cached, resumable graph
// of stages (docs/experiments.md).
export { loadExperiment, checkExperiment, ConfigError, METHOD_STAGES, type ExperimentConfig, type MethodConfig } from './config.js';
export { buildPlan, stageKey, stagePath, type Plan, type PlannedStage, type PlannedMethod } from './plan.js';
export { runExperiment, formatSeconds, type RunExperimentOptions, type RunExperimentResult } from './run.js';
export { experimentResults, resultsTableText } from './results.js';
export { acquireLock, LOCK_FILE } from './lock.js';
export { runSchema, type RunOptions } from './schema.js';
