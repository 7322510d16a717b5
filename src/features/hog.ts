// Histograms of oriented gradients (Dalal & Triggs 2005), computed as scikit-image's
// skimage.feature.hog computes them (skimage/feature/_hog.py, _hoghistogram.pyx), for a whole
// batch at once with tensor ops:
//   1. optional square root of every pixel (transform_sqrt);
//   2. centred differences g_row[r] = x[r+1] - x[r-1], g_col[c] = x[c+1] - x[c-1], zero on the
//      image border; with several channels each pixel takes the gradient of the channel whose
//      magnitude is largest (the first on ties);
//   3. each pixel votes its magnitude hypot(g_row, g_col) into the one orientation bin i with
//      i * 180/n <= atan2(g_row, g_col) in degrees mod 180 < (i + 1) * 180/n (no interpolation);
//      a cell's histogram is the mean of its pixels' votes; pixels beyond the last whole cell
//      are ignored;
//   4. every block of cellsPerBlock cells (stride one cell) is normalised (L1, L1-sqrt, L2 or
//      L2-Hys, eps = 1e-5) and the blocks are concatenated in the order
//      [blocks_row, blocks_col, cells_row, cells_col, orientations].
// Gradients are taken in float32 (the input's dtype, as skimage does for float32 images), then
// everything runs in float64 as skimage's histograms do; the result is float32.
import { type Tensor, F, tensor, where, zeros } from '../engine/index.js';

export type BlockNorm = 'L1' | 'L1-sqrt' | 'L2' | 'L2-Hys';
export const BLOCK_NORMS: readonly BlockNorm[] = ['L1', 'L1-sqrt', 'L2', 'L2-Hys'];

/** scikit-image's parameters, in camelCase; defaults are scikit-image's. */
export interface HogOptions {
  /** Orientation bins over 0..180 degrees (default 9). */
  orientations?: number;
  /** Cell size [rows, cols] in pixels (default [8, 8]). */
  pixelsPerCell?: readonly [number, number];
  /** Block size [rows, cols] in cells (default [3, 3]). */
  cellsPerBlock?: readonly [number, number];
  /** Block normalisation (default 'L2-Hys'). */
  blockNorm?: BlockNorm;
  /** Square root of the pixels first (power-law compression; default false). */
  transformSqrt?: boolean;
}

export type HogParams = Required<HogOptions>;

const EPS = 1e-5; // skimage's _hog_normalize_block default

function positiveInt(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) > 0;
}

/** The options with defaults filled in, checked; errors name the field. */
export function hogParams(o: HogOptions = {}): HogParams {
  const p: HogParams = {
    orientations: o.orientations ?? 9,
    pixelsPerCell: o.pixelsPerCell ?? [8, 8],
    cellsPerBlock: o.cellsPerBlock ?? [3, 3],
    blockNorm: o.blockNorm ?? 'L2-Hys',
    transformSqrt: o.transformSqrt ?? false,
  };
  if (!positiveInt(p.orientations)) throw new RangeError(`hog: orientations must be a positive integer, got ${p.orientations}`);
  for (const key of ['pixelsPerCell', 'cellsPerBlock'] as const) {
    const v = p[key];
    if (!Array.isArray(v) || v.length !== 2 || !v.every(positiveInt)) {
      throw new RangeError(`hog: ${key} must be two positive integers [rows, cols], got ${JSON.stringify(v)}`);
    }
  }
  if (!BLOCK_NORMS.includes(p.blockNorm)) throw new RangeError(`hog: blockNorm must be one of ${BLOCK_NORMS.join(', ')}, got '${p.blockNorm}'`);
  return p;
}

/** skimage's unflattened output shape [blocks_row, blocks_col, cells_row, cells_col, orientations] for an image [C, H, W]. */
export function hogShape(imageShape: readonly number[], o: HogOptions = {}): [number, number, number, number, number] {
  const p = hogParams(o);
  if (imageShape.length !== 3) throw new RangeError(`hog: expected an image shape [C, H, W], got [${imageShape.join(', ')}]`);
  const [, h, w] = imageShape as [number, number, number];
  const cellsRow = Math.floor(h / p.pixelsPerCell[0]), cellsCol = Math.floor(w / p.pixelsPerCell[1]);
  const blocksRow = cellsRow - p.cellsPerBlock[0] + 1, blocksCol = cellsCol - p.cellsPerBlock[1] + 1;
  if (blocksRow < 1 || blocksCol < 1) {
    throw new RangeError(
      `hog: a ${h}x${w} image has ${cellsRow}x${cellsCol} cells of ${p.pixelsPerCell.join('x')} px, fewer than one block of ${p.cellsPerBlock.join('x')} cells`,
    );
  }
  return [blocksRow, blocksCol, p.cellsPerBlock[0], p.cellsPerBlock[1], p.orientations];
}

/** Descriptor length for an image [C, H, W]. */
export function hogDim(imageShape: readonly number[], o: HogOptions = {}): number {
  return hogShape(imageShape, o).reduce((a, b) => a * b, 1);
}

/**
 * The inner bin edges k * 180/n degrees (k = 1..n-1) as directions (cos, sin). A gradient
 * (g_col, g_row) folded into the upper half plane has angle >= edge exactly when
 * g_row * cos - g_col * sin >= 0. Edges that skimage computes as exactly 45, 90 or 135 degrees
 * use exact directions, so that gradients lying on them (g_row = +-g_col, g_col = 0) fall in
 * the bin above, as in skimage.
 */
function binEdges(n: number): { cos: number[]; sin: number[] } {
  const cos: number[] = [], sin: number[] = [];
  const exact: Record<number, [number, number]> = { 45: [1, 1], 90: [0, 1], 135: [-1, 1] };
  for (let k = 1; k < n; k++) {
    const deg = (180 / n) * k; // as skimage: number_of_orientations_per_180 * k
    const [c, s] = exact[deg] ?? [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
    cos.push(c);
    sin.push(s);
  }
  return { cos, sin };
}

/** skimage's _hog_channel_gradient for every channel: [B, C, H, W] -> two [B, C, H, W], zero on the border. */
function gradients(x: Tensor): { gRow: Tensor; gCol: Tensor } {
  const [, , h, w] = x.shape as [number, number, number, number];
  const gRow = h >= 3 ? F.pad(x.narrow(2, 2, h - 2).sub(x.narrow(2, 0, h - 2)), [0, 0, 1, 1]) : zeros(x.shape);
  const gCol = w >= 3 ? F.pad(x.narrow(3, 2, w - 2).sub(x.narrow(3, 0, w - 2)), [1, 1, 0, 0]) : zeros(x.shape);
  return { gRow, gCol };
}

/** Normalises each row of blocks [B, K, L] as skimage's _hog_normalize_block. */
function normalizeBlocks(blocks: Tensor, norm: BlockNorm): Tensor {
  const l2 = (b: Tensor) => b.div(b.square().sum(-1, true).add(EPS * EPS).sqrt());
  switch (norm) {
    case 'L1':
      return blocks.div(blocks.abs().sum(-1, true).add(EPS));
    case 'L1-sqrt':
      return blocks.div(blocks.abs().sum(-1, true).add(EPS)).sqrt();
    case 'L2':
      return l2(blocks);
    case 'L2-Hys':
      return l2(l2(blocks).clamp(null, 0.2));
  }
}

/**
 * HOG descriptors of a batch. images: [B, C, H, W] float32 (C = 1: grayscale; C > 1: the
 * strongest channel per pixel, as skimage with channel_axis). Returns float32 [B, D], or with
 * featureVector false [B, blocks_row, blocks_col, cells_row, cells_col, orientations].
 * Tensors made on the way are freed by the caller's tidy() (or use it inside one).
 */
export function hog(images: Tensor, o: HogOptions = {}, { featureVector = true } = {}): Tensor {
  const p = hogParams(o);
  if (images.ndim !== 4) throw new RangeError(`hog: expected images [B, C, H, W], got shape [${images.shape.join(', ')}]`);
  const [batch, , h, w] = images.shape as [number, number, number, number];
  const [blocksRow, blocksCol, bRow, bCol, n] = hogShape(images.shape.slice(1), p);
  const [cRow, cCol] = p.pixelsPerCell;
  const cellsRow = Math.floor(h / cRow), cellsCol = Math.floor(w / cCol);

  let x = images.dtype === 'float32' ? images : images.float();
  if (p.transformSqrt) x = x.sqrt();
  const g = gradients(x);
  let gRow = g.gRow.double(), gCol = g.gCol.double();
  if (gRow.shape[1]! > 1) {
    // The channel with the largest magnitude: skimage compares float32 np.hypot values (hypotf).
    const strongest = gRow.square().add(gCol.square()).sqrt().float().argmax(1, true);
    gRow = gRow.gather(1, strongest);
    gCol = gCol.gather(1, strongest);
  }
  // Only whole cells count: [B, cellsRow * cRow, cellsCol * cCol].
  gRow = gRow.select(1, 0).narrow(1, 0, cellsRow * cRow).narrow(2, 0, cellsCol * cCol);
  gCol = gCol.select(1, 0).narrow(1, 0, cellsRow * cRow).narrow(2, 0, cellsCol * cCol);
  const magnitude = gRow.square().add(gCol.square()).sqrt();

  // Orientation mod 180 degrees: fold (g_col, g_row) into the upper half plane; g_row = 0 is 0 degrees.
  const down = gRow.lt(0);
  const up = gRow.abs();
  const across = where(up.eq(0), gCol.abs(), where(down, gCol.neg(), gCol));
  const edges = binEdges(n);
  let bin: Tensor;
  if (n === 1) bin = zeros(magnitude.shape, { dtype: 'int64' });
  else {
    const cos = tensor(edges.cos, { dtype: 'float64' }).view(1, n - 1, 1, 1);
    const sin = tensor(edges.sin, { dtype: 'float64' }).view(1, n - 1, 1, 1);
    // [B, n-1, h, w]: at or beyond each inner edge; the count is the bin.
    bin = up.unsqueeze(1).mul(cos).sub(across.unsqueeze(1).mul(sin)).ge(0).sum(1);
  }

  // Cell histograms [B, cellsRow, cellsCol, n]: means of the votes over each cell.
  const votes = F.oneHot(bin, n).double().mul(magnitude.unsqueeze(-1));
  const cells = votes.reshape(batch, cellsRow, cRow, cellsCol, cCol, n).sum([2, 4]).div(cRow * cCol);

  // Blocks [B, blocksRow * blocksCol, bRow * bCol * n], normalised, in skimage's order.
  const blocks = cells
    .unfold(1, bRow, 1) // [B, blocksRow, cellsCol, n, bRow]
    .unfold(2, bCol, 1) // [B, blocksRow, blocksCol, n, bRow, bCol]
    .permute(0, 1, 2, 4, 5, 3)
    .reshape(batch, blocksRow * blocksCol, bRow * bCol * n);
  const out = normalizeBlocks(blocks, p.blockNorm).float();
  return featureVector ? out.reshape(batch, -1) : out.reshape(batch, blocksRow, blocksCol, bRow, bCol, n);
}

