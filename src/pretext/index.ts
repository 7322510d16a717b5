// Pretext tasks: permutation sets, jigsaw puzzles and the context-free network, rotation, runs.
export { generatePermutations, permutationSetJson, hamming, PERMUTATION_COUNT, type PermutationSet } from './permutations.js';
export { JigsawPuzzles, GRID, TILES, JIGSAW_DEFAULTS, type JigsawOptions, type Puzzles, type PuzzlePlan } from './jigsaw.js';
export { ContextFreeNetwork, CFN_DEFAULTS, type CfnOptions } from './cfn.js';
export { rotateBatch, ROTATIONS } from './rotation.js';
export { jigsawTask, rotationTask } from './tasks.js';
export { trainPretext, buildPretext, readPermutationFile, type PretextTrainOptions, type PretextResult } from './train.js';
export { readPretextConfig, RUN_FORMAT, PERMUTATIONS_FILE, type PretextConfig } from './run.js';
export { pretextSchema, PRETEXT_TASKS, DEFAULT_BN_IMAGES, JIGSAW_PP_OCCLUSION, type PretextTask, type PretextStageOptions } from './schema.js';
