// Rotation prediction (Gidaris et al., ICLR 2018): every image at 0, 90, 180 and 270 degrees,
// a 4-way classification of the rotation applied.
import { cat, tensor, tidy, type Tensor } from '../engine/index.js';

export const ROTATIONS = 4;

/**
 * images [B, C, S, S] -> images [4B, C, S, S] and int64 labels [4B]: rows kB..kB+B-1 hold
 * every image rotated by k * 90 degrees counter-clockwise (label k).
 */
export function rotateBatch(images: Tensor): { images: Tensor; labels: Tensor } {
  const s = images.shape;
  if (s.length !== 4 || s[2] !== s[3]) throw new Error(`rotation: expected square images [B, C, S, S], got shape [${s.join(', ')}]`);
  const b = s[0]!;
  return tidy(() => {
    const rotated = cat([0, 1, 2, 3].map((k) => (k === 0 ? images : images.rot90(k, [2, 3]))), 0);
    const labels = new Int32Array(ROTATIONS * b);
    for (let k = 0; k < ROTATIONS; k++) labels.fill(k, k * b, (k + 1) * b);
    return { images: rotated, labels: tensor(labels, { dtype: 'int64', device: images.device }) };
  });
}
