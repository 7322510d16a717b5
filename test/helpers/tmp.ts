// Temporary folders for tests: one per test file, removed at exit, with fresh numbered
// subfolders; or one per test body, removed when it ends.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempFolders(prefix: string): (name: string) => string {
  const root = mkdtempSync(join(tmpdir(), `selfsup-${prefix}-`));
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  let counter = 0;
  return (name: string) => {
    const d = join(root, `${name}-${counter++}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
}

/** A test body that runs fn in a fresh empty folder, removed when fn returns or throws. */
export function withTempDir(prefix: string, fn: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), `selfsup-${prefix}-`));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
