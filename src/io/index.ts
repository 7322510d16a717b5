// Files: atomic writes, safetensors, training checkpoints.
export * from './atomic.js';
export * from './safetensors.js';
export * from './checkpoint.js';
