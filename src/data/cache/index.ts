// The decoded image cache: prepareCache writes one, openCache reads one (see format.ts for the layout).
export * from './format.js';
export { openCache, openCacheShared, readManifest, type ImageCache, type OpenCacheOptions } from './reader.js';
export { prepareCache, removeStaleTemps, type PrepareOptions, type PrepareResult } from './prepare.js';
export { prepareSchema, type PrepareStageOptions } from './schema.js';
export { chooseFit, padTo, toChannels, fitPixels, fitFile, hwcToChw, chwToHwc, type Fit } from './convert.js';
export { writeSampleGrid, type SampleGridOptions } from './samples.js';
