// Data: image sources, the decoded cache, batched augmentation, loaders.
export * from './sources/index.js';
export * from './cache/index.js';
export * from './augment/index.js';
export * from './loader/index.js';
export { loadFashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, type LabeledImages } from './fashion_mnist.js';
export { readIdx, parseIdx, type IdxArray } from './idx.js';
export { Rng, deriveSeed } from './rng.js';
