// `prepare`: decode a source once into a cache folder (format.ts). The cache is built in a
// temporary folder next to the target and renamed into place at the end, so an interrupted run
// leaves no folder that looks complete. Running again with the same options is a no-op.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { replaceDirAtomic } from '../../io/atomic.js';
import { progress } from '../../util/progress.js';
import { openSource } from '../sources/index.js';
import type { DatasetSource, LabelChoice, SourceFormat, SourceItem } from '../sources/types.js';
import { fitFile, fitPixels, type Fit } from './convert.js';
import { DEFAULT_SHARD_BYTES, MANIFEST_FILE, type CacheManifest, type PrepareKey, type SkippedFile } from './format.js';
import { readManifest } from './reader.js';
import { CacheWriter } from './writer.js';
import { prepareSchema } from './schema.js';
import { parseOptions } from '../../util/options.js';
import type { z } from 'zod';

/** Skipped files listed in the manifest (all are counted). */
export const MAX_LISTED_SKIPS = 10000;
/** Skipped files shown on stderr. */
const SHOWN_SKIPS = 5;

/** prepareSchema's options (source aside), plus hooks for tests and callers. */
export interface PrepareOptions extends Omit<z.input<typeof prepareSchema>, 'source'> {
  /** Largest shard in bytes (default 256 MiB). */
  shardBytes?: number;
  /** Images decoded at once (default: twice the CPU count). */
  concurrency?: number;
  /** Show the progress bar on stderr (default true; never when quiet). */
  bar?: boolean;
  /** Where messages go (default: stderr). */
  log?: (line: string) => void;
  /** Called after each image is written (index in the cache); throwing aborts the run. */
  onImage?: (index: number) => void;
}

export interface PrepareResult {
  dir: string;
  manifest: CacheManifest;
  /** True when a complete cache with the same options was already there (nothing was done). */
  reused: boolean;
}

function keyOf(src: DatasetSource, size: number, channels: 1 | 3, labels: LabelChoice, limit: number | undefined): PrepareKey {
  // CIFAR-100's default labels are its fine ones: the same cache either way.
  if (src.format === 'cifar100' && labels === 'default') labels = 'fine';
  // A limit at or above the source's count keeps every image: the whole cache.
  const first = limit !== undefined && limit < src.count ? { limit } : {};
  return { source: src.id, format: src.format, split: src.split, size, channels, labels, ...first };
}

function sameKey(a: PrepareKey, b: PrepareKey): boolean {
  const fields: (keyof PrepareKey)[] = ['source', 'format', 'split', 'size', 'channels', 'labels', 'limit'];
  return fields.every((f) => a[f] === b[f]);
}

function describeKey(k: PrepareKey): string {
  return `${k.source} (${k.format}, split ${k.split}), size ${k.size}, ${k.channels} channel(s), labels ${k.labels}${k.limit !== undefined ? `, first ${k.limit} images` : ''}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporary folders of earlier runs on `out` whose process is gone. */
export function removeStaleTemps(out: string): string[] {
  const parent = dirname(out);
  const re = new RegExp(`^${basename(out).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(?:tmp|old)-(\\d+)-[0-9a-f]+$`);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return removed;
  }
  for (const n of names) {
    const m = re.exec(n);
    if (m && !processAlive(Number(m[1]))) {
      rmSync(join(parent, n), { recursive: true, force: true });
      removed.push(join(parent, n));
    }
  }
  return removed;
}

/** Checks what is at `out` now: returns its manifest when it is a complete cache with this key. */
function checkTarget(out: string, key: PrepareKey, force: boolean): CacheManifest | null {
  if (!existsSync(out)) return null;
  if (!statSync(out).isDirectory()) throw new Error(`--out ${out}: exists and is not a folder`);
  if (existsSync(join(out, MANIFEST_FILE))) {
    let m: CacheManifest | null = null;
    try {
      m = readManifest(out);
    } catch (e) {
      if (!force) throw new Error(`--out ${out}: holds an unreadable cache (${(e as Error).message}); use --force to replace it`);
    }
    if (m && sameKey(m.config, key) && !force) return m;
    if (m && !force) {
      throw new Error(
        `--out ${out}: holds a cache prepared with other options:\n  there:     ${describeKey(m.config)}\n  requested: ${describeKey(key)}\n` +
          `use --force to replace it, or choose another --out`,
      );
    }
    return null;
  }
  if (readdirSync(out).length > 0 && !force) throw new Error(`--out ${out}: exists, is not empty and is not a cache; use --force to replace it, or choose another --out`);
  return null;
}

type Fitted = { data: Uint8Array; fit: Fit; label: number | null } | { skip: SkippedFile };

function fitItem(item: SourceItem, size: number, channels: 1 | 3): Promise<Fitted> {
  if (item.pixels) return fitPixels(item.pixels, size, channels).then((r) => ({ ...r, label: item.label }));
  return fitFile(item.path, size, channels).then(
    (r) => ({ ...r, label: item.label }),
    (e: Error) => ({ skip: { path: item.path, reason: e.message } }),
  );
}

/** Decodes `spec` ('fashion-mnist', a folder or a CSV file) into a cache at opts.out. */
export async function prepareCache(spec: string, options: PrepareOptions): Promise<PrepareResult> {
  const { shardBytes: sb, concurrency: cc, bar: showBar, log: logTo, onImage, ...user } = options;
  const o = parseOptions(prepareSchema, { source: spec, ...user });
  const opts = { ...o, shardBytes: sb, concurrency: cc, bar: showBar, onImage, format: o.format as SourceFormat | undefined, labels: o.labels as LabelChoice };
  const log = opts.quiet ? () => {} : (logTo ?? ((l: string) => console.error(l)));
  const size = opts.size;
  const shardBytes = opts.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!(shardBytes > 0)) throw new Error(`shardBytes must be positive, got ${shardBytes}`);
  const concurrency = Math.max(1, opts.concurrency ?? 2 * availableParallelism());

  const src = openSource(spec, opts);
  const channels = opts.channels ?? src.channels;
  const labels = opts.labels;
  const key = keyOf(src, size, channels, labels, opts.limit);
  const count = key.limit ?? src.count;
  const out = resolve(opts.out);

  for (const p of removeStaleTemps(out)) log(`removed ${p} (left by an interrupted run)`);
  const existing = checkTarget(out, key, opts.force === true);
  if (existing) return { dir: out, manifest: existing, reused: true };

  const started = new Date().toISOString();
  log(`preparing ${src.description} -> ${out} (${size} x ${size}, ${channels} channel${channels > 1 ? 's' : ''})`);
  sharp.cache(false); // every file is read once: libvips' operation cache would only hold memory
  const manifest = await replaceDirAtomic(out, async (tmp) => {
    const writer = new CacheWriter(tmp, [channels, size, size], shardBytes);
    const fit = { identity: 0, pad: 0, resize: 0 };
    const skipped: SkippedFile[] = [];
    let skipCount = 0;
    const bar = progress('prepare', count, { unit: 'img', quiet: opts.quiet || opts.bar === false });
    let ticks = 0;
    let lastTick = performance.now();
    const take = (r: Fitted) => {
      if ('skip' in r) {
        skipCount++;
        if (skipped.length < MAX_LISTED_SKIPS) skipped.push(r.skip);
      } else {
        writer.add(r.data, r.label);
        fit[r.fit]++;
        opts.onImage?.(writer.count - 1);
      }
      // Redraw every 256 images or 0.2 s, whichever comes first (large images decode slowly).
      if (++ticks === 256 || performance.now() - lastTick > 200) {
        bar.tick(ticks, skipCount ? { skipped: skipCount } : {});
        ticks = 0;
        lastTick = performance.now();
      }
    };
    // Up to `concurrency` images decode at once; results are taken in source order.
    const window: Promise<Fitted>[] = [];
    try {
      let n = 0;
      for (const item of src.items()) {
        if (n++ === count) break;
        const p = fitItem(item, size, channels);
        p.catch(() => {}); // handled when taken; this only avoids an unhandled rejection if we stop early
        window.push(p);
        if (window.length >= concurrency) take(await window.shift()!);
      }
      while (window.length > 0) take(await window.shift()!);
      bar.tick(ticks, skipCount ? { skipped: skipCount } : {});
    } catch (e) {
      writer.abort();
      throw e;
    } finally {
      bar.stop();
    }
    if (writer.count === 0) {
      const why = skipped.slice(0, SHOWN_SKIPS).map((s) => `\n  ${s.path}: ${s.reason}`).join('');
      throw new Error(`${src.id}: none of the ${src.count} images could be decoded${why}`);
    }
    return writer.finish({
      config: key,
      started,
      sourceDescription: src.description,
      classNames: src.classNames,
      fit,
      skipped: { count: skipCount, files: skipped },
      ignoredFiles: src.ignoredFiles,
    });
  });

  if (manifest.skipped.count > 0) {
    const lines = manifest.skipped.files.slice(0, SHOWN_SKIPS).map((s) => `  ${s.path}: ${s.reason}`);
    const more = manifest.skipped.count - lines.length;
    log(`skipped ${manifest.skipped.count} unreadable image${manifest.skipped.count > 1 ? 's' : ''}:\n${lines.join('\n')}${more > 0 ? `\n  ... and ${more} more (listed in ${join(out, MANIFEST_FILE)})` : ''}`);
  }
  if (src.ignoredFiles > 0) log(`ignored ${src.ignoredFiles} file(s) that are not images by their extension`);
  return { dir: out, manifest, reused: false };
}
