// Crops: random crop with padding (per-sample integer offsets, exact pixels) and random
// resized crop (per-sample box resized by bilinear sampling through an affine grid).
import { Tensor, arange, tensor, tidy, F } from '../../engine/index.js';
import type { Rng } from '../rng.js';
import { type BatchTransform, batchShape, uniform } from './transform.js';

type Size = number | readonly [number, number];
const hw = (s: Size, who: string): [number, number] => {
  const [h, w] = typeof s === 'number' ? [s, s] : s;
  if (!(Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0)) {
    throw new RangeError(`${who}: size must be a positive integer or [height, width], got ${JSON.stringify(s)}`);
  }
  return [h, w];
};

/** A crop box in pixels: rows top..top+height-1, columns left..left+width-1. */
export interface Box {
  top: number;
  left: number;
  height: number;
  width: number;
}

export interface RandomCropOptions {
  /** Pixels added on every side before cropping (torchvision's padding=p). */
  padding?: number;
  /** How the border is filled: zeros (constant), reflect or replicate. */
  paddingMode?: 'constant' | 'reflect' | 'replicate';
  /** Value for paddingMode 'constant'. */
  fill?: number;
}

/**
 * Random crop with padding (torchvision RandomCrop(size, padding)): pads every image by
 * `padding` pixels, then cuts a size[0] x size[1] window at a per-sample offset drawn
 * uniformly, so content moves by up to `padding` pixels in each direction.
 */
export class RandomCrop implements BatchTransform {
  readonly size: [number, number] | null;
  readonly padding: number;
  readonly paddingMode: 'constant' | 'reflect' | 'replicate';
  readonly fill: number;
  /** size: output [height, width] (default: the input size). */
  constructor(size: Size | null = null, o: RandomCropOptions = {}) {
    this.size = size === null ? null : hw(size, 'RandomCrop');
    this.padding = o.padding ?? 0;
    if (!(Number.isInteger(this.padding) && this.padding >= 0)) throw new RangeError(`RandomCrop: padding must be a non-negative integer, got ${o.padding}`);
    this.paddingMode = o.paddingMode ?? 'constant';
    this.fill = o.fill ?? 0;
  }
  /** Window offsets (top, left) into the padded image, one pair per sample. */
  draw(rng: Rng, batch: number, height: number, width: number): { top: Int32Array; left: Int32Array } {
    const [h, w] = this.size ?? [height, width];
    const ph = height + 2 * this.padding, pw = width + 2 * this.padding;
    if (h > ph || w > pw) throw new Error(`RandomCrop: crop ${h}x${w} is larger than the padded image ${ph}x${pw}`);
    const top = new Int32Array(batch), left = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      top[i] = rng.int(ph - h + 1);
      left[i] = rng.int(pw - w + 1);
    }
    return { top, left };
  }
  apply(x: Tensor, rng: Rng): Tensor {
    const [b, , height, width] = batchShape(x, 'RandomCrop');
    const [h, w] = this.size ?? [height, width];
    const { top, left } = this.draw(rng, b, height, width);
    return tidy(() => {
      const p = this.padding;
      const padded = p > 0 ? F.pad(x, [p, p, p, p], this.paddingMode, this.fill) : x;
      // Every h x w window as a view [B, C, PH - h + 1, PW - w + 1, h, w]; then window (top[n], left[n])
      // of each sample n: the advanced indices around the sliced C dim give [B, C, h, w].
      const windows = padded.unfold(2, h, 1).unfold(3, w, 1);
      const o = { dtype: 'int64' as const, device: x.device };
      return windows.index([arange(0, b, 1, o), null, tensor(top, o), tensor(left, o)]);
    });
  }
}

export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image's (torchvision default [0.08, 1]). */
  scale?: readonly [number, number];
  /** Range of the crop's width / height (default [3/4, 4/3]), drawn log-uniformly. */
  ratio?: readonly [number, number];
}

// Python's round(): halves go to the even neighbour.
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Random resized crop (torchvision RandomResizedCrop, Szegedy et al. 2015): per sample, a box
 * with area fraction in `scale` and aspect ratio in `ratio` (10 tries, then a centre crop,
 * as torchvision's get_params), resized to `size` with bilinear interpolation
 * (align_corners false, edges clamped, no antialiasing: as F.interpolate on the box).
 */
export class RandomResizedCrop implements BatchTransform {
  readonly size: [number, number];
  readonly scale: readonly [number, number];
  readonly ratio: readonly [number, number];
  constructor(size: Size, o: RandomResizedCropOptions = {}) {
    this.size = hw(size, 'RandomResizedCrop');
    this.scale = o.scale ?? [0.08, 1];
    this.ratio = o.ratio ?? [3 / 4, 4 / 3];
    const [s0, s1] = this.scale, [r0, r1] = this.ratio;
    if (!(s0 > 0 && s0 <= s1 && s1 <= 1)) throw new RangeError(`RandomResizedCrop: scale must satisfy 0 < min <= max <= 1, got [${this.scale.join(', ')}]`);
    if (!(r0 > 0 && r0 <= r1)) throw new RangeError(`RandomResizedCrop: ratio must satisfy 0 < min <= max, got [${this.ratio.join(', ')}]`);
  }
  /** One box for an image of height x width. */
  box(rng: Rng, height: number, width: number): Box {
    const area = height * width;
    const [r0, r1] = this.ratio;
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = area * uniform(rng, this.scale[0], this.scale[1]);
      const aspect = Math.exp(uniform(rng, Math.log(r0), Math.log(r1)));
      const w = roundHalfEven(Math.sqrt(target * aspect));
      const h = roundHalfEven(Math.sqrt(target / aspect));
      if (w > 0 && w <= width && h > 0 && h <= height) {
        return { top: rng.int(height - h + 1), left: rng.int(width - w + 1), height: h, width: w };
      }
    }
    const inRatio = width / height;
    let w = width, h = height;
    if (inRatio < r0) h = roundHalfEven(w / r0);
    else if (inRatio > r1) w = roundHalfEven(h * r1);
    return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
  }
  draw(rng: Rng, batch: number, height: number, width: number): Box[] {
    return Array.from({ length: batch }, () => this.box(rng, height, width));
  }
  apply(x: Tensor, rng: Rng): Tensor {
    const [b, c, height, width] = batchShape(x, 'RandomResizedCrop');
    const boxes = this.draw(rng, b, height, width);
    // Output coordinate u in [-1, 1] maps to input a*u + t (normalised, align_corners false):
    // the box's outer edges left and left+width map to -1 + 2*left/W and -1 + 2*(left+width)/W.
    const theta = new Float32Array(b * 6);
    boxes.forEach((bx, n) => {
      theta.set([bx.width / width, 0, (2 * bx.left + bx.width) / width - 1, 0, bx.height / height, (2 * bx.top + bx.height) / height - 1], n * 6);
    });
    return tidy(() => {
      const t = tensor(theta, { shape: [b, 2, 3], dtype: x.dtype, device: x.device });
      const grid = F.affineGrid(t, [b, c, this.size[0], this.size[1]], false);
      return F.gridSample(x, grid, { mode: 'bilinear', paddingMode: 'border', alignCorners: false });
    });
  }
}
