// Image tiles: cache images (C x H x W bytes) as inline PNG data URIs, laid out in rows.
import sharp from 'sharp';
import { chwToHwc } from '../data/cache/convert.js';
import { esc } from './html.js';

/** Larger images are shrunk to this side (the page shows tiles at 56 px). */
const MAX_SIDE = 112;

/** One image as a data:image/png URI (at its own size up to MAX_SIDE). */
export async function pngDataUri(chw: Uint8Array, shape: readonly [number, number, number]): Promise<string> {
  const [c, h, w] = shape;
  let img = sharp(chwToHwc(chw, h, w, c), { raw: { width: w, height: h, channels: c as 1 | 3 } });
  if (Math.max(h, w) > MAX_SIDE) img = img.resize({ width: MAX_SIDE, height: MAX_SIDE, fit: 'inside' });
  const png = await img.png({ compressionLevel: 6 }).toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

export interface Tile {
  uri: string;
  /** Shown under the image (and as its alt text). */
  caption: string;
  /** 'query' or 'wrong' (a neighbour of another class), for the border. */
  kind?: 'query' | 'wrong';
}

/** A row of tiles. */
export function tilesHtml(tiles: Tile[]): string {
  const tile = (t: Tile) => `<div class="tile${t.kind ? ` ${t.kind}` : ''}"><img src="${t.uri}" alt="${esc(t.caption)}"><span>${esc(t.caption)}</span></div>`;
  return `<div class="tiles">${tiles.map(tile).join('')}</div>`;
}
