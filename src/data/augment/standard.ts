// The augmentation of training on classes (cluster classification, supervised training,
// fine-tuning): random crop with padding, horizontal flips, then normalisation; the validation
// pass gets the normalisation alone.
import { Compose, type BatchTransform } from './transform.js';
import { RandomCrop } from './crop.js';
import { RandomHorizontalFlip } from './flip.js';

export function classificationTransforms(o: { cropPadding: number; flip: boolean }, normalize: BatchTransform): { transform: BatchTransform; valTransform: BatchTransform } {
  const steps = [...(o.cropPadding > 0 ? [new RandomCrop(null, { padding: o.cropPadding })] : []), ...(o.flip ? [new RandomHorizontalFlip()] : []), normalize];
  return { transform: new Compose(steps), valTransform: normalize };
}
