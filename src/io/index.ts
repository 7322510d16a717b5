// Files: atomic writes, safetensors, training checkpoints, NumPy .npy arrays.
export * from './atomic.js';
export * from './safetensors.js';
export * from './checkpoint.js';
export * from './npy.js';
