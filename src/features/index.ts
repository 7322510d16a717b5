// Feature sources (pixels, HOG, random and trained networks) and streaming extraction to .npy.
export { type FeatureSource, type SourceOptions, type Pool, parsePool, poolAndFlatten } from './source.js';
export { parseSource, SOURCES, type SourceFactory } from './registry.js';
export { hog, hogArray, hogDim, hogParams, hogShape, hogSource, BLOCK_NORMS, type BlockNorm, type HogOptions, type HogParams } from './hog.js';
export { pixelsSource } from './pixels.js';
export { randomSource } from './random.js';
export { modelSource } from './model.js';
export { networkSource, type NetworkSourceParts } from './network.js';
export { extractFeatures, readFeaturesInfo, sidecarPath, FEATURES_FORMAT, FEATURES_VERSION, type ExtractOptions, type FeaturesInfo } from './extract.js';
export { featuresSchema, type FeaturesStageOptions } from './schema.js';
export { featuresStage } from './stage.js';
