// Optimisers, learning-rate schedules and gradient clipping, as torch.optim.
export { Optimizer, type BaseHyper, type ParamGroup, type Params, type ParamState, type OptimizerStateDict } from './optimizer.js';
export { SGD, type SGDHyper, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamHyper, type AdamOptions } from './adam.js';
export { LRScheduler, StepLR, MultiStepLR, CosineAnnealingLR, LinearLR, SequentialLR, type SchedulerState } from './lr_scheduler.js';
export { clipGradNorm_ } from './clip.js';
