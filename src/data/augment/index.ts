// Batched data augmentation as tensor ops, seeded from a JS Rng (see transform.ts).
export { type BatchTransform, Compose } from './transform.js';
export { RandomCrop, RandomResizedCrop, type Box, type RandomCropOptions, type RandomResizedCropOptions } from './crop.js';
export { RandomHorizontalFlip } from './flip.js';
export { ColorJitter, RandomGrayscale, grayscale, LUMA_WEIGHTS, type ColorJitterOptions } from './color.js';
export { Normalize, standardizePerImage, MIN_SAMPLE_STD } from './normalize.js';
export { classificationTransforms } from './standard.js';
