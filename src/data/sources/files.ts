// Small file helpers shared by the binary sources.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
}

/**
 * Checks that `path` holds a whole number of `record`-byte records and returns how many.
 * `what` describes one record for the error (e.g. '1 label byte + 3072 pixel bytes').
 */
export function recordCount(path: string, record: number, what: string): number {
  const size = fileSize(path);
  if (size === 0) throw new Error(`${path}: empty file (expected records of ${record} bytes: ${what})`);
  if (size % record !== 0) {
    throw new Error(
      `${path}: ${size} bytes is not a whole number of ${record}-byte records (${what}); ` +
        `the file is truncated or not this format (${Math.floor(size / record)} whole records, ${size % record} bytes left over)`,
    );
  }
  return size / record;
}

/** Reads `path` in chunks of whole records: yields [index of the first record, bytes]. */
export function* readRecords(path: string, record: number, perChunk = Math.max(1, Math.floor((16 << 20) / record))): Generator<[number, Buffer]> {
  const fd = openSync(path, 'r');
  try {
    const total = fileSize(path) / record;
    for (let first = 0; first < total; first += perChunk) {
      const n = Math.min(perChunk, total - first);
      const buf = Buffer.allocUnsafe(n * record);
      let off = 0;
      while (off < buf.length) {
        const got = readSync(fd, buf, off, buf.length - off, first * record + off);
        if (got === 0) throw new Error(`${path}: unexpected end of file at byte ${first * record + off} (file shrank while reading?)`);
        off += got;
      }
      yield [first, buf];
    }
  } finally {
    closeSync(fd);
  }
}

/** Non-empty trimmed lines of a text file (class-name lists), or null when the file is absent. */
export function readLines(path: string): string[] | null {
  if (!existsSync(path)) return null;
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** The first of these names that exists in dir, or null. */
export function firstExisting(dir: string, names: string[]): string | null {
  for (const n of names) if (existsSync(join(dir, n))) return join(dir, n);
  return null;
}

/** Class names from a list file when it has exactly k names, else '0'..'k-1'. */
export function classNamesFrom(path: string | null, k: number): string[] {
  const lines = path ? readLines(path) : null;
  if (lines && lines.length === k) return lines;
  if (lines && lines.length !== k) throw new Error(`${path}: ${lines.length} class names, expected ${k}`);
  return Array.from({ length: k }, (_, i) => String(i));
}
