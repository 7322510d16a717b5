// The raw-pixel source: each image flattened (C * H * W values), or average-pooled to a grid first.
import { tidy, type Tensor } from '../engine/index.js';
import { type FeatureSource, type SourceOptions, checkImageShape, checkImages, parsePool, poolAndFlatten } from './source.js';

export function pixelsSource(spec: string, arg: string, o: SourceOptions): FeatureSource {
  if (arg !== '') throw new Error(`pixels takes no parameters, got '${spec}'; pool with --pool`);
  const pool = parsePool(o.pool);
  return {
    name: spec,
    dim(shape) {
      const [c, h, w] = checkImageShape(spec, shape);
      return pool === null ? c * h * w : c * pool[0] * pool[1];
    },
    extract(images: Tensor) {
      checkImages(spec, images);
      return tidy(() => poolAndFlatten(images, pool).contiguous());
    },
    dispose() {},
  };
}
