// A temporary folder per test file, removed at exit, with fresh numbered subfolders.
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
