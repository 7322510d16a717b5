// Loads the native addon (native/build/Release/selfsup_native.node).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Opaque handle to a native tensor. */
export type Handle = { readonly __handle: unique symbol };

// The addon's functions; argument conventions are documented beside each binding in native/src.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeFn = (...args: any[]) => any;

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('selfsup: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

function load(): Record<string, NativeFn> {
  const file = join(packageRoot(), 'native', 'build', 'Release', 'selfsup_native.node');
  if (!existsSync(file)) {
    throw new Error(`selfsup: native addon not built (${file} is missing); run 'npm run build'`);
  }
  // OpenMP threads that spin between parallel regions compete with OpenBLAS's pool (and any
  // other process) for a few cores: passive waiting made k-means 1.3-3x faster on a busy 2-core
  // machine and left training steps unchanged within noise. libgomp reads it once, at load.
  process.env.OMP_WAIT_POLICY ??= 'passive';
  const require = createRequire(import.meta.url);
  return require(file) as Record<string, NativeFn>;
}

export const N = load();
