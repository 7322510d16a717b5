// Jigsaw puzzles as batched tensor ops (Noroozi & Favaro 2016; Jigsaw++: Noroozi et al. 2018, sec. 3).
//
// For each image: a random crop, split into a 3x3 grid of cells; from each cell one tile at a
// random offset inside the cell (jitter, so edges do not continue across tiles); the 9 tiles
// shuffled by a permutation drawn from the set (the label is its index); each tile normalised
// to zero mean and unit variance over its own pixels. For colour input: random grayscale per
// image and an independent 0..maxShift px shift of each colour channel (chromatic aberration).
// Jigsaw++: k tiles (k drawn from `occlusion`) at random positions come from another image of
// the batch, which gets its own colour decisions; the label does not change.
//
// All choices are drawn in JS from the Rng given, so a batch's puzzles depend only on it; the
// pixels are then gathered in one indexSelect over the flattened batch.
import { arange, tensor, tidy, where, type Tensor } from '../engine/index.js';
import type { Rng } from '../data/rng.js';
import { LUMA_WEIGHTS, standardizePerImage } from '../data/augment/index.js';

import { TILES } from './permutations.js';

export { TILES };
export const GRID = 3;

/** Shortcut blockers' defaults (authors' code: grayscale 0.5; the paper says 0.7). */
export const JIGSAW_DEFAULTS = { grayscale: 0.5, channelShift: 2 } as const;

export interface JigsawOptions {
  /** Each a permutation of 0..8: slot i of a puzzle holds the tile cut from cell perm[i]. */
  permutations: readonly (readonly number[])[];
  /** Side of the random square crop that is cut into 3x3 cells (paper: 225 of 256; default: image side - 2). */
  crop?: number;
  /** Side of a tile, at most crop / 3 (paper: 64 of 75 px cells; default: floor(crop / 3) - 1). */
  tile?: number;
  /** Probability of turning an image grayscale (colour input only; paper 0.7, authors' code 0.5; default 0.5). */
  grayscale?: number;
  /** Largest shift of a colour channel, in px (colour input only; default 2; 0 turns it off). */
  channelShift?: number;
  /** Jigsaw++: occlusion[k] = probability that k tiles come from another image (default [1]: none). */
  occlusion?: readonly number[];
  /** Normalise each tile to zero mean, unit variance (default true). */
  normalize?: boolean;
}

export interface Puzzles {
  /** [B * 9, C, tile, tile]: puzzle b's slots are rows 9b .. 9b + 8. */
  tiles: Tensor;
  /** int64 [B]: index of the permutation of each puzzle. */
  labels: Tensor;
}

/** What make() decided for each puzzle, for tests and inspection. */
export interface PuzzlePlan {
  /** [B]: permutation index. */
  labels: Int32Array;
  /** [B, 9]: image of the batch each slot's tile was cut from. */
  source: Int32Array;
  /** [B, 9]: cell (0..8, row-major) each slot's tile was cut from, in its source image. */
  cell: Int32Array;
  /** [B, 9, C, 2]: top-left (y, x) of each slot's tile, per channel, in its source image. */
  corner: Int32Array;
  /** [B, 9]: 1 when the slot's tile was turned grayscale. */
  gray: Uint8Array;
  /** [B]: number of tiles from another image. */
  occluded: Int32Array;
}


export class JigsawPuzzles {
  readonly permutations: readonly (readonly number[])[];
  readonly crop: number | undefined;
  readonly tile: number | undefined;
  readonly grayscale: number;
  readonly channelShift: number;
  readonly occlusion: readonly number[];
  readonly normalize: boolean;

  constructor(o: JigsawOptions) {
    if (!Array.isArray(o.permutations) || o.permutations.length === 0) throw new Error('jigsaw: the permutation set is empty');
    o.permutations.forEach((p, i) => {
      const sorted = [...p].sort((a, b) => a - b);
      if (p.length !== TILES || sorted.some((v, j) => v !== j)) throw new Error(`jigsaw: permutations[${i}] = [${p.join(', ')}] is not a permutation of 0..8`);
    });
    this.permutations = o.permutations;
    this.crop = o.crop;
    this.tile = o.tile;
    this.grayscale = o.grayscale ?? JIGSAW_DEFAULTS.grayscale;
    if (!(this.grayscale >= 0 && this.grayscale <= 1)) throw new RangeError(`jigsaw: grayscale must be a probability, got ${o.grayscale}`);
    this.channelShift = o.channelShift ?? JIGSAW_DEFAULTS.channelShift;
    if (!(Number.isInteger(this.channelShift) && this.channelShift >= 0)) throw new RangeError(`jigsaw: channelShift must be a non-negative integer, got ${o.channelShift}`);
    this.occlusion = o.occlusion ?? [1];
    const total = this.occlusion.reduce((a, b) => a + b, 0);
    if (this.occlusion.length === 0 || this.occlusion.length > TILES || this.occlusion.some((p) => !(p >= 0)) || Math.abs(total - 1) > 1e-6) {
      throw new RangeError(`jigsaw: occlusion must be probabilities of 0, 1, 2, ... replaced tiles summing to 1, got [${this.occlusion.join(', ')}]`);
    }
    this.normalize = o.normalize ?? true;
  }

  /** Crop and tile sides for images of side `size`. */
  geometry(height: number, width: number): { crop: number; cell: number; tile: number } {
    const side = Math.min(height, width);
    const crop = this.crop ?? Math.max(GRID, side - 2);
    if (!(Number.isInteger(crop) && crop >= GRID && crop <= side)) throw new RangeError(`jigsaw: crop must be an integer in [3, ${side}] for ${height}x${width} images, got ${crop}`);
    const cell = Math.floor(crop / GRID);
    const tile = this.tile ?? Math.max(1, cell - 1);
    if (!(Number.isInteger(tile) && tile >= 1 && tile <= cell)) throw new RangeError(`jigsaw: tile must be an integer in [1, ${cell}] (the cell side of a ${crop} px crop), got ${tile}`);
    return { crop, cell, tile };
  }

  /** Draws every random choice for a batch of B images of shape [C, H, W]. */
  plan(b: number, shape: readonly number[], rng: Rng): PuzzlePlan {
    const [c, h, w] = shape as [number, number, number];
    const { crop, cell, tile } = this.geometry(h, w);
    const colour = c === 3;
    const shift = colour ? this.channelShift : 0;
    const p: PuzzlePlan = {
      labels: new Int32Array(b),
      source: new Int32Array(b * TILES),
      cell: new Int32Array(b * TILES),
      corner: new Int32Array(b * TILES * c * 2),
      gray: new Uint8Array(b * TILES),
      occluded: new Int32Array(b),
    };
    // Per image: crop origin, grayscale decision, channel shifts (its own colour processing).
    const origin = new Int32Array(b * 2);
    const gray = new Uint8Array(b);
    const shifts = new Int32Array(b * c * 2);
    for (let i = 0; i < b; i++) {
      origin[2 * i] = rng.int(h - crop + 1);
      origin[2 * i + 1] = rng.int(w - crop + 1);
      gray[i] = colour && rng.next() < this.grayscale ? 1 : 0;
      for (let ch = 0; ch < c; ch++) {
        shifts[(i * c + ch) * 2] = shift > 0 ? rng.int(shift + 1) : 0;
        shifts[(i * c + ch) * 2 + 1] = shift > 0 ? rng.int(shift + 1) : 0;
      }
    }
    const cumulative = this.occlusion.map((_, k) => this.occlusion.slice(0, k + 1).reduce((a, x) => a + x, 0));
    for (let i = 0; i < b; i++) {
      const label = rng.int(this.permutations.length);
      p.labels[i] = label;
      const perm = this.permutations[label]!;
      // Jigsaw++: how many slots, which ones, and the occluding image (another one of the batch).
      const u = rng.next();
      let k = cumulative.findIndex((q) => u < q);
      if (k < 0) k = cumulative.length - 1;
      if (b < 2) k = 0;
      p.occluded[i] = k;
      const other = k > 0 ? (i + 1 + rng.int(b - 1)) % b : i;
      const slots = new Set<number>();
      const order = rng.permutation(TILES);
      for (let j = 0; j < k; j++) slots.add(order[j]!);
      for (let s = 0; s < TILES; s++) {
        const src = slots.has(s) ? other : i;
        const cellIdx = perm[s]!;
        const r = Math.floor(cellIdx / GRID), col = cellIdx % GRID;
        const jy = rng.int(cell - tile + 1), jx = rng.int(cell - tile + 1); // jitter inside the cell
        const slot = i * TILES + s;
        p.source[slot] = src;
        p.cell[slot] = cellIdx;
        p.gray[slot] = gray[src]!;
        for (let ch = 0; ch < c; ch++) {
          const y = origin[2 * src]! + r * cell + jy + shifts[(src * c + ch) * 2]!;
          const x = origin[2 * src + 1]! + col * cell + jx + shifts[(src * c + ch) * 2 + 1]!;
          p.corner[(slot * c + ch) * 2] = Math.min(y, h - tile); // a shift never leaves the image
          p.corner[(slot * c + ch) * 2 + 1] = Math.min(x, w - tile);
        }
      }
    }
    return p;
  }

  /** images: float [B, C, H, W] in [0, 1] -> the puzzles' tiles and labels. */
  make(images: Tensor, rng: Rng): Puzzles {
    const s = images.shape;
    if (s.length !== 4) throw new Error(`jigsaw: expected images [B, C, H, W], got shape [${s.join(', ')}]`);
    const [b, c, h, w] = s as [number, number, number, number];
    const plan = this.plan(b, [c, h, w], rng);
    return { tiles: this.cut(images, plan), labels: tensor(plan.labels, { dtype: 'int64', device: images.device }) };
  }

  /** Gathers the tiles a plan describes: [B * 9, C, tile, tile]. */
  cut(images: Tensor, plan: PuzzlePlan): Tensor {
    const [b, c, h, w] = images.shape as [number, number, number, number];
    const { tile } = this.geometry(h, w);
    return tidy(() => {
      // Flat offset of each (slot, channel) tile's top-left pixel in the flattened batch.
      const base = new Int32Array(b * TILES * c);
      for (let slot = 0; slot < b * TILES; slot++) {
        for (let ch = 0; ch < c; ch++) {
          const k = slot * c + ch;
          base[k] = ((plan.source[slot]! * c + ch) * h + plan.corner[2 * k]!) * w + plan.corner[2 * k + 1]!;
        }
      }
      const dev = { dtype: 'int64' as const, device: images.device };
      const rows = arange(0, tile, 1, dev).mul(w);
      const within = rows.unsqueeze(1).add(arange(0, tile, 1, dev).unsqueeze(0)).flatten(); // [tile * tile]
      const index = tensor(base, dev).unsqueeze(1).add(within.unsqueeze(0)).flatten();
      let tiles = images.contiguous().flatten().indexSelect(0, index).view(b * TILES, c, tile, tile);
      if (c === 3 && plan.gray.some((g) => g === 1)) {
        const luma = tensor([...LUMA_WEIGHTS], { dtype: tiles.dtype, device: images.device }).view(1, 3, 1, 1);
        const gray = tiles.mul(luma).sum(1, true).expand(b * TILES, 3, tile, tile);
        const mask = tensor(plan.gray, { dtype: 'bool', device: images.device }).view(b * TILES, 1, 1, 1);
        tiles = where(mask, gray, tiles);
      }
      if (this.normalize) tiles = standardizePerImage(tiles);
      return tiles;
    });
  }
}
