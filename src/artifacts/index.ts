// Artifacts: what a finished stage output is (manifests, content keys), run folders, and loading
// a finished run's trunk.
export * from './manifest.js';
export * from './run_folder.js';
export { loadSourceModel, type SourceModel, type TrunkRunConfig } from './source_model.js';
export * from './experiment.js';
