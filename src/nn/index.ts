// Neural-network layers, as torch.nn (PyTorch names in camelCase).
export { Module, type LoadResult } from './module.js';
export { Linear, Identity } from './linear.js';
export { Conv2d, type Conv2dOptions } from './conv.js';
export { BatchNorm, BatchNorm1d, BatchNorm2d, updateBatchNormStats, type BatchNormOptions } from './batchnorm.js';
export { ReLU, LeakyReLU } from './activation.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, type Pool2dOptions } from './pooling.js';
export { Dropout } from './dropout.js';
export { Flatten } from './flatten.js';
export { LocalResponseNorm } from './normalization.js';
export { Sequential } from './container.js';
export * as init from './init.js';
