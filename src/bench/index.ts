// Timing of training steps, shared by `selfsup bench` and the scripts in bench/.
export { benchStep, stepBenchSchema, type StepBenchResult } from './step.js';
export { benchPretext, pretextBenchSchema, type PretextBenchResult } from './pretext.js';
