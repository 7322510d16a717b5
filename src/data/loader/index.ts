// Loading: image sources, seeded resumable mini-batches, train/validation split, prefetching.
export { Loader, type LoaderOptions, type Batch, type Position } from './loader.js';
export { type ImageSource, type WorkerRecipe, memorySource, memorySourceFromShared, toShared, imageBytes } from './source.js';
export { trainValSplit, epochOrder, groupByClass, balancedBatch, shardOrder, shardLength, type Shard, type SplitOptions } from './sampler.js';
export { type BatchReader, MainThreadReader, WorkerReader } from './reader.js';
