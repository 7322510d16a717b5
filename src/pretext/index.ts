// Pretext tasks: permutation sets, jigsaw puzzles and the context-free network, rotation, runs.
export { generatePermutations, permutationSetJson, hamming, PERMUTATION_COUNT, type PermutationSet } from './permutations.js';
export { JigsawPuzzles, GRID, TILES, type JigsawOptions, type Puzzles, type PuzzlePlan } from './jigsaw.js';
export { ContextFreeNetwork, type CfnOptions } from './cfn.js';
export { rotateBatch, ROTATIONS } from './rotation.js';
export { jigsawTask, rotationTask } from './tasks.js';
export { trainPretext, buildPretext, readPermutationFile, type PretextTrainOptions, type PretextResult } from './train.js';
export { loadSourceModel, readPretextConfig, standardizePerImage, PRETEXT_TASKS, type PretextConfig, type PretextTask, type SourceModel } from './run.js';
