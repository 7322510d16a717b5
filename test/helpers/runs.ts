// Labeled synthetic images and run-folder comparisons, for tests of training stages.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareCache } from '../../src/data/index.js';
import { idxFile } from './idx.js';
import { rng } from './random.js';

/** n side x side gray images; image i shows a bright band of rows (band i mod kinds) on noise, its class. */
export function bands(n: number, seed: number, side = 32, kinds = 4): { images: Uint8Array; labels: number[] } {
  const r = rng(seed);
  const images = new Uint8Array(n * side * side);
  const labels = Array.from({ length: n }, (_, i) => i % kinds);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
      const lit = Math.floor(y / (side / kinds)) === labels[i];
      images[i * side * side + y * side + x] = Math.floor(r() * 60 + (lit ? 170 : 20));
    }
  }
  return { images, labels };
}

/** A 1-channel cache without labels (an IDX folder with no labels file). */
export async function unlabeledCache(work: string, out: string, images: Uint8Array, n: number, side: number): Promise<string> {
  writeFileSync(join(work, 'train-images-idx3-ubyte'), idxFile([n, side, side], images));
  await prepareCache(work, { out, size: side, quiet: true });
  return out;
}

const TIMING = new Set(['time', 'created', 'completed', 'seconds', 'imagesPerSecond', 'imagesPerSec']);
/** A JSON value without its timestamps and timings (at any depth). */
function untimed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(untimed);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !TIMING.has(k)).map(([k, x]) => [k, untimed(x)]));
  return v;
}
/** A JSON file without its timings. */
export const jsonFile = (p: string) => untimed(JSON.parse(readFileSync(p, 'utf8')));
const jsonLines = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => untimed(JSON.parse(l)));

export const RUN_FILES = ['config.json', 'metrics.jsonl', 'model.safetensors', 'trunk.safetensors', 'summary.json', 'manifest.json'];

/** Every named file of folder a has exactly the bytes of b's (JSON files: apart from timings). */
export function assertSameFiles(a: string, b: string, files: string[] = RUN_FILES): void {
  for (const f of files) {
    const pa = join(a, f), pb = join(b, f);
    assert.ok(existsSync(pa) && existsSync(pb), `${f} exists in both`);
    if (f.endsWith('.jsonl')) assert.deepEqual(jsonLines(pb), jsonLines(pa), f);
    else if (f.endsWith('.json')) assert.deepEqual(jsonFile(pb), jsonFile(pa), f);
    else assert.ok(readFileSync(pa).equals(readFileSync(pb)), `${f}: the bytes differ`);
  }
}
