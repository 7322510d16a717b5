// The decoded image cache: prepareCache writes one, openCache reads one (see format.ts for the layout).
export * from './format.js';
export { openCache, openCacheShared, readManifest, type ImageCache, type OpenCacheOptions } from './reader.js';
export { prepareCache, removeStaleTemps, DEFAULT_SIZE, type PrepareOptions, type PrepareResult } from './prepare.js';
export { chooseFit, padTo, toChannels, fitPixels, fitFile, hwcToChw, chwToHwc, type Fit } from './convert.js';
export { writeSampleGrid, type SampleGridOptions } from './samples.js';
