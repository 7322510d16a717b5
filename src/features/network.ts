// A network as a feature source: a trunk in eval mode, one named tap (a conv layer's output after
// its ReLU), optionally average-pooled to a grid, flattened (in C, H, W order). Runs under noGrad,
// channels-last (NHWC): measured 1.45-1.5x the throughput of NCHW for alexnet_s and vgg_s here,
// in PyTorch as in selfsup.
import { noGrad, tidy, withPrecision, zeros, type Device, type Precision, type Tensor } from '../engine/index.js';
import type { Trunk } from '../models/index.js';
import { type FeatureSource, type Pool, checkImageShape, checkImages, poolAndFlatten } from './source.js';

export interface NetworkSourceParts {
  name: string;
  trunk: Trunk;
  tap: string;
  inChannels: number;
  /** Images on [0, 1] -> the trunk's input (normalisation as the network expects). */
  preprocess(images01: Tensor): Tensor;
  pool: Pool;
  /** Where the trunk runs (default 'cpu'): it is moved there, each batch too, and the rows come back to the CPU. */
  device?: Device;
  /** 'bf16': the pass under autocast to bfloat16; the rows are float32 either way. */
  precision?: Precision;
  /** Frees what the source owns (at least the trunk's weights). */
  dispose(): void;
}

export function networkSource(p: NetworkSourceParts): FeatureSource {
  if (!p.trunk.tapNames.includes(p.tap)) throw new Error(`${p.name}: unknown layer '${p.tap}'; available: ${p.trunk.tapNames.join(', ')}`);
  const device = p.device ?? 'cpu';
  p.trunk.to(device).eval().toMemoryFormat('channelsLast');
  const dims = new Map<string, number>();
  const pass = (images: Tensor): Tensor => {
    const input = p.preprocess(images.to(device)).contiguous('channelsLast');
    const tap = p.trunk.features(input, [p.tap]).get(p.tap)!;
    return poolAndFlatten(tap, p.pool).to('float32').contiguous().to('cpu');
  };
  const extract = (images: Tensor): Tensor =>
    noGrad(() => tidy(() => withPrecision(p.precision, () => pass(images))));
  return {
    name: p.name,
    dim(shape) {
      const [c, h, w] = checkImageShape(p.name, shape);
      if (c !== p.inChannels) throw new Error(`${p.name}: expects ${p.inChannels}-channel images, got [${shape.join(', ')}]`);
      const key = `${h}x${w}`;
      let d = dims.get(key);
      if (d === undefined) {
        // One image through the network: exact for any architecture and input size.
        d = tidy(() => extract(zeros([1, c, h, w])).shape[1]!);
        dims.set(key, d);
      }
      return d;
    },
    extract(images: Tensor) {
      checkImages(p.name, images, p.inChannels);
      return extract(images);
    },
    dispose: () => p.dispose(),
  };
}

/** Splits 'THING@LAYER' at the last '@' into [THING, LAYER | undefined]. */
export function splitLayer(arg: string): [string, string | undefined] {
  const at = arg.lastIndexOf('@');
  return at < 0 ? [arg, undefined] : [arg.slice(0, at), arg.slice(at + 1)];
}
