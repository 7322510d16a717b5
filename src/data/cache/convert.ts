// Bringing every image to the cache's size and channels.
// Size rule, for an image of height h and width w and a target size N:
//   - h = w = N: copied as it is ('identity');
//   - both sides in [7N/8, N] (e.g. 28 x 28 for N = 32): padded with zeros to N x N, centred
//     (extra row/column, if odd, at the bottom/right), never upscaled ('pad');
//   - otherwise: resized so the shorter side is N (Lanczos-3, sharp/libvips), then the centre
//     N x N is cropped ('resize').
// Channels: 3 -> 1 is the ITU-R BT.601 luma, round(0.299 R + 0.587 G + 0.114 B) (as PIL's 'L');
// 1 -> 3 repeats the plane. Files are decoded by sharp: EXIF orientation applied, alpha
// composited on black, any colour space converted to sRGB, 16-bit samples reduced to 8-bit.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { Pixels } from '../sources/types.js';

export type Fit = 'identity' | 'pad' | 'resize';

export function chooseFit(height: number, width: number, size: number): Fit {
  if (height === size && width === size) return 'identity';
  const lo = (size * 7) / 8;
  if (height <= size && width <= size && height >= lo && width >= lo) return 'pad';
  return 'resize';
}

/** Zero-pads a C x h x w image to C x size x size, centred. */
export function padTo(p: Pixels, size: number): Pixels {
  const { channels: c, height: h, width: w } = p;
  const top = Math.floor((size - h) / 2);
  const left = Math.floor((size - w) / 2);
  const out = new Uint8Array(c * size * size);
  for (let k = 0; k < c; k++) {
    for (let y = 0; y < h; y++) {
      const src = (k * h + y) * w;
      out.set(p.data.subarray(src, src + w), (k * size + top + y) * size + left);
    }
  }
  return { data: out, channels: c, height: size, width: size };
}

/** Interleaved H x W x C bytes -> planar C x H x W. */
export function hwcToChw(hwc: Uint8Array, height: number, width: number, channels: number): Uint8Array {
  const plane = height * width;
  if (channels === 1) return new Uint8Array(hwc.subarray(0, plane)); // a copy, never a Buffer view
  const out = new Uint8Array(channels * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < channels; c++) out[c * plane + p] = hwc[p * channels + c]!;
  return out;
}

/** Planar C x H x W -> interleaved H x W x C. */
export function chwToHwc(chw: Uint8Array, height: number, width: number, channels: number): Uint8Array {
  const plane = height * width;
  if (channels === 1) return new Uint8Array(chw.subarray(0, plane));
  const out = new Uint8Array(channels * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < channels; c++) out[p * channels + c] = chw[c * plane + p]!;
  return out;
}

/** To 1 or 3 channels (see the rule above). Extra channels (alpha) beyond the first 1 or 3 are dropped. */
export function toChannels(p: Pixels, channels: 1 | 3): Pixels {
  const plane = p.height * p.width;
  const colour = p.channels >= 3; // 2 channels = grey + alpha
  if (channels === 1) {
    if (!colour) return p.channels === 1 ? p : { ...p, data: p.data.slice(0, plane), channels: 1 };
    const out = new Uint8Array(plane);
    const d = p.data;
    for (let i = 0; i < plane; i++) out[i] = Math.floor((299 * d[i]! + 587 * d[plane + i]! + 114 * d[2 * plane + i]! + 500) / 1000);
    return { ...p, data: out, channels: 1 };
  }
  if (colour) return p.channels === 3 ? p : { ...p, data: p.data.slice(0, 3 * plane), channels: 3 };
  const out = new Uint8Array(3 * plane);
  const grey = p.data.subarray(0, plane);
  out.set(grey, 0);
  out.set(grey, plane);
  out.set(grey, 2 * plane);
  return { ...p, data: out, channels: 3 };
}

/** Shorter side to size, centre crop (sharp on raw pixels). */
export async function resizeCover(p: Pixels, size: number): Promise<Pixels> {
  const hwc = chwToHwc(p.data, p.height, p.width, p.channels);
  let img = sharp(hwc, { raw: { width: p.width, height: p.height, channels: p.channels as 1 | 3 | 4 } });
  img = img.resize({ width: size, height: size, fit: 'cover', position: 'centre' });
  if (p.channels === 1) img = img.toColourspace('b-w'); // else libvips returns 3 channels
  const { data, info } = await img
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: hwcToChw(data, info.height, info.width, info.channels), channels: info.channels, height: info.height, width: info.width };
}

/** Decoded pixels brought to size x size and `channels` channels (C x H x W bytes). */
export async function fitPixels(p: Pixels, size: number, channels: 1 | 3): Promise<{ data: Uint8Array; fit: Fit }> {
  const fit = chooseFit(p.height, p.width, size);
  // Convert channels first when that makes less to resize.
  let q = p.channels > channels ? toChannels(p, channels) : p;
  if (fit === 'pad') q = padTo(q, size);
  else if (fit === 'resize') q = await resizeCover(q, size);
  return { data: toChannels(q, channels).data, fit };
}

/** First line of an error message (libvips errors run over several lines). */
function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}

/**
 * Decodes an image file and brings it to size x size and `channels` channels. Throws an Error
 * whose message is a short reason when the file cannot be read or decoded.
 */
export async function fitFile(path: string, size: number, channels: 1 | 3): Promise<{ data: Uint8Array; fit: Fit }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`cannot read: ${(e as NodeJS.ErrnoException).code ?? firstLine(e)}`);
  }
  try {
    const meta = await sharp(bytes).metadata();
    if (!meta.width || !meta.height) throw new Error('no image size in the header');
    // Orientations 5-8 swap width and height.
    const swap = (meta.orientation ?? 1) >= 5;
    const h = swap ? meta.width : meta.height;
    const w = swap ? meta.height : meta.width;
    const fit = chooseFit(h, w, size);
    let img = sharp(bytes).autoOrient().flatten({ background: { r: 0, g: 0, b: 0 } });
    if (fit === 'resize') img = img.resize({ width: size, height: size, fit: 'cover', position: 'centre' });
    const { data, info } = await img.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    let p: Pixels = { data: hwcToChw(data, info.height, info.width, info.channels), channels: info.channels, height: info.height, width: info.width };
    p = toChannels(p, channels);
    if (fit === 'pad') p = padTo(p, size);
    if (p.height !== size || p.width !== size) throw new Error(`decoded to ${p.width} x ${p.height}, expected ${size} x ${size}`);
    return { data: p.data, fit };
  } catch (e) {
    throw new Error(firstLine(e));
  }
}
