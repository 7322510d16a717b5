// Atomic writes: a reader sees the old file (or folder) or the new one, never half of one.
// Write under a temporary name in the same folder, flush to disk, then rename over the target.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, unlinkSync, writeSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

/** A fresh temporary name next to `path`: `<path>.tmp-<pid>-<random>`. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Flushes a folder's entries (a rename) to disk; a no-op where the OS does not allow it. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on folders; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export type AtomicFileData = string | Uint8Array | readonly Uint8Array[];

/**
 * Writes `data` (a string as UTF-8, bytes, or a list of byte chunks written in order) to
 * `path` atomically. On any error the temporary file is removed and the target is untouched.
 */
export function writeFileAtomic(path: string, data: AtomicFileData): void {
  mkdirSync(dirname(path), { recursive: true }); // parent folders are created as needed
  const tmp = tempPathFor(path);
  const chunks: readonly Uint8Array[] =
    typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    for (const chunk of chunks) {
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError(`writeFileAtomic(${path}): data chunks must be Uint8Array, got ${typeof chunk}`);
      }
      for (let off = 0; off < chunk.byteLength; ) off += writeSync(fd, chunk, off, chunk.byteLength - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error matters more
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already gone
    }
    throw err;
  }
  fsyncDir(dirname(path));
}

/** Moves `dir` aside (if present), renames `tmp` to `dir`, and removes the old copy. */
function swapIn(tmp: string, dir: string): void {
  fsyncDir(tmp);
  // Linux has no portable atomic exchange of two folders: between the two renames `dir`
  // is briefly absent, but it never holds a partly written tree.
  let old: string | undefined;
  if (existsSync(dir)) {
    old = `${dir}.old-${process.pid}-${randomBytes(6).toString('hex')}`;
    renameSync(dir, old);
  }
  try {
    renameSync(tmp, dir);
  } catch (err) {
    if (old !== undefined) renameSync(old, dir); // put the previous tree back
    throw err;
  }
  fsyncDir(dirname(dir));
  if (old !== undefined) rmSync(old, { recursive: true, force: true });
}

/**
 * Builds a whole folder atomically: `fill(tmp)` writes the contents into a fresh
 * `<dir>.tmp-*` folder, which then replaces `dir`. If fill throws, the temporary folder is
 * removed and `dir` is untouched. Returns what fill returns.
 */
export function replaceDirAtomicSync<T>(dir: string, fill: (tmpDir: string) => T): T {
  const tmp = tempPathFor(dir);
  mkdirSync(tmp, { recursive: true });
  try {
    const result = fill(tmp);
    if (result instanceof Promise) throw new TypeError('replaceDirAtomicSync: fill must be synchronous; use replaceDirAtomic');
    swapIn(tmp, dir);
    return result;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** As replaceDirAtomicSync, for a fill that may be asynchronous. */
export async function replaceDirAtomic<T>(dir: string, fill: (tmpDir: string) => T | Promise<T>): Promise<T> {
  const tmp = tempPathFor(dir);
  mkdirSync(tmp, { recursive: true });
  try {
    const result = await fill(tmp);
    swapIn(tmp, dir);
    return result;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
