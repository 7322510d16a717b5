// A feature source maps a batch of images to vectors (docs/features.md): a trained network at
// a named layer, HOG, raw pixels, a random network. Clustering and cluster classification see
// only this interface.
import { type Device, type Precision, type Tensor, F } from '../engine/index.js';

export interface FeatureSource {
  /** As given on the command line, e.g. 'hog', 'pixels', 'random:alexnet_s@conv5', 'model:runs/jig@conv4'. */
  readonly name: string;
  /** Output length D for one image of shape [C, H, W]. */
  dim(imageShape: readonly number[]): number;
  /** [B, C, H, W] float32 with values in [0, 1] (cache bytes / 255, nothing else) -> [B, D] float32 on the CPU. */
  extract(images: Tensor): Tensor;
  /** Frees native memory (weights). */
  dispose(): void;
}

/** What a source may need beyond its spec; each source says which fields it requires. */
export interface SourceOptions {
  /** Channels of the images (network sources build their first layer for it). */
  inChannels?: number;
  /** Per-channel mean and std of the data on [0, 1] (a cache manifest's), for random networks' input. */
  mean?: readonly number[];
  std?: readonly number[];
  /** Average pooling of a network tap or of the pixels: 'global', 'HxW' (adaptive, to that grid) or 'none'. */
  pool?: string;
  /** Seed of a random network's weights (default 0). */
  seed?: number;
  /** Where a network source runs (default 'cpu'); its rows come back to the CPU. */
  device?: Device;
  /** 'bf16': a network source's pass under autocast to bfloat16 (its rows still float32). */
  precision?: Precision;
}

/** Output grid [h, w] of adaptive average pooling, or null for none. */
export type Pool = readonly [number, number] | null;

/** Parses --pool: 'global' = 1x1, 'HxW' or 'N' (N x N), 'none'/undefined = no pooling. */
export function parsePool(spec: string | undefined): Pool {
  if (spec === undefined || spec === 'none') return null;
  if (spec === 'global') return [1, 1];
  const m = /^(\d+)(?:x(\d+))?$/.exec(spec);
  const h = m ? Number(m[1]) : 0, w = m ? Number(m[2] ?? m[1]) : 0;
  if (!(h >= 1 && w >= 1)) throw new Error(`pool must be 'global', 'none' or a grid HxW such as 2x2 or 3, got '${spec}'`);
  return [h, w];
}

/** x [B, C, H, W] -> [B, C * h * w] after adaptive average pooling to the grid (or as it is). */
export function poolAndFlatten(x: Tensor, pool: Pool): Tensor {
  const pooled = pool === null ? x : F.adaptiveAvgPool2d(x, [pool[0], pool[1]]);
  return pooled.flatten(1);
}

/** Checks a batch: [B, C, H, W] float32; names the source in the error. */
export function checkImages(name: string, images: Tensor, channels?: number): void {
  const s = images.shape;
  if (s.length !== 4) throw new Error(`${name}: expected images [B, C, H, W], got shape [${s.join(', ')}]`);
  if (images.dtype !== 'float32') throw new Error(`${name}: expected float32 images with values in [0, 1], got ${images.dtype}`);
  if (channels !== undefined && s[1] !== channels) throw new Error(`${name}: expects ${channels}-channel images, got shape [${s.join(', ')}]`);
}

/** Checks an image shape [C, H, W]. */
export function checkImageShape(name: string, shape: readonly number[]): [number, number, number] {
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${name}: expected an image shape [C, H, W], got [${shape.join(', ')}]`);
  }
  return shape as [number, number, number];
}
