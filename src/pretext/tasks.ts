// Pretext tasks as trainer tasks: a loader batch of images in [0, 1] -> (logits, targets).
import type { BatchTransform } from '../data/augment/transform.js';
import type { TrainTask } from '../train/index.js';
import type { JigsawPuzzles } from './jigsaw.js';
import { rotateBatch } from './rotation.js';

/** Jigsaw and Jigsaw++: the model is a ContextFreeNetwork; the target is the permutation index. */
export function jigsawTask(puzzles: JigsawPuzzles): TrainTask {
  return {
    forward(model, batch, rng) {
      const { tiles, labels } = puzzles.make(batch.images, rng);
      return { logits: model.forward(tiles), targets: labels };
    },
  };
}

/** Rotation: the model is any zoo net with 4 outputs; `normalize` is applied after rotating. */
export function rotationTask(normalize: BatchTransform | null): TrainTask {
  return {
    forward(model, batch, rng) {
      const r = rotateBatch(batch.images);
      const x = normalize ? normalize.apply(r.images, rng) : r.images;
      return { logits: model.forward(x), targets: r.labels };
    },
  };
}
