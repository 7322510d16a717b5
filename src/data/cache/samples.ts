// A PNG grid of sample images from a cache: for a labeled cache one row per class (the first
// `perClass` images of that class, classes in label order, at most `maxClasses` rows); for an
// unlabeled one `perClass` x `perClass` images evenly spaced through the cache. Small images are
// enlarged by an integer factor (nearest neighbour) so that tiles are at least 64 px.
import sharp from 'sharp';
import { writeFileAtomic } from '../../io/atomic.js';
import type { ImageCache } from './reader.js';

export interface SampleGridOptions {
  perClass?: number;
  maxClasses?: number;
  /** Pixels between tiles. */
  gap?: number;
}

export interface SampleGrid {
  /** Image indices per row. */
  rows: number[][];
  /** Class name of each row (labeled caches), else null. */
  rowClasses: string[] | null;
  width: number;
  height: number;
}

/** Which images go in which row (see above). */
export function sampleRows(cache: ImageCache, perClass = 8, maxClasses = 32): { rows: number[][]; rowClasses: string[] | null } {
  if (cache.labels && cache.classNames) {
    const k = Math.min(cache.classNames.length, maxClasses);
    const rows: number[][] = Array.from({ length: k }, () => []);
    for (let i = 0; i < cache.count; i++) {
      const l = cache.labels[i]!;
      if (l < k && rows[l]!.length < perClass) rows[l]!.push(i);
    }
    const keep = rows.map((r, c) => [r, c] as const).filter(([r]) => r.length > 0);
    return { rows: keep.map(([r]) => r), rowClasses: keep.map(([, c]) => cache.classNames![c]!) };
  }
  const n = Math.min(cache.count, perClass * perClass);
  const picks = Array.from({ length: n }, (_, j) => Math.floor((j * cache.count) / n));
  const rows: number[][] = [];
  for (let j = 0; j < n; j += perClass) rows.push(picks.slice(j, j + perClass));
  return { rows, rowClasses: null };
}

/** Writes the grid to `path` as PNG; returns what it shows. */
export async function writeSampleGrid(cache: ImageCache, path: string, opts: SampleGridOptions = {}): Promise<SampleGrid> {
  const gap = opts.gap ?? 2;
  const { rows, rowClasses } = sampleRows(cache, opts.perClass ?? 8, opts.maxClasses ?? 32);
  const [c, h, w] = cache.shape;
  const scale = Math.max(1, Math.floor(64 / Math.max(h, w)));
  const th = h * scale;
  const tw = w * scale;
  const cols = Math.max(1, ...rows.map((r) => r.length));
  const width = gap + cols * (tw + gap);
  const height = gap + Math.max(1, rows.length) * (th + gap);
  const out = Buffer.alloc(width * height * c, 48); // dark grey background, H x W x C
  const plane = h * w;
  rows.forEach((row, r) => {
    const bytes = cache.readIndices(row);
    row.forEach((_, j) => {
      const img = bytes.subarray(j * c * plane, (j + 1) * c * plane);
      const x0 = gap + j * (tw + gap);
      const y0 = gap + r * (th + gap);
      for (let y = 0; y < th; y++) {
        const sy = Math.floor(y / scale);
        for (let x = 0; x < tw; x++) {
          const sx = Math.floor(x / scale);
          const o = ((y0 + y) * width + x0 + x) * c;
          for (let k = 0; k < c; k++) out[o + k] = img[k * plane + sy * w + sx]!;
        }
      }
    });
  });
  let img = sharp(out, { raw: { width, height, channels: c as 1 | 3 } });
  if (c === 1) img = img.toColourspace('b-w'); // else PNG output would be 3-channel sRGB
  const png = await img.png().toBuffer();
  writeFileAtomic(path, png);
  return { rows, rowClasses, width, height };
}
