// Loads the native addon (native/build/Release/selfsup_native.node) as the NativeApi that
// native_api.ts declares (a test checks that the addon exports exactly those functions).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeApi } from './native_api.js';

export type { Handle, NativeApi } from './native_api.js';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('selfsup: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

function load(): NativeApi {
  const file = join(packageRoot(), 'native', 'build', 'Release', 'selfsup_native.node');
  if (!existsSync(file)) {
    throw new Error(`selfsup: native addon not built (${file} is missing); run 'npm run build'`);
  }
  // OpenMP threads that spin between parallel regions compete with OpenBLAS's pool (and any
  // other process) for a few cores: passive waiting made k-means 1.3-3x faster on a busy 2-core
  // machine and left training steps unchanged within noise. libgomp reads it once, at load.
  process.env.OMP_WAIT_POLICY ??= 'passive';
  const require = createRequire(import.meta.url);
  return require(file) as NativeApi;
}

export const N: NativeApi = load();
