// --device checks shared by the stages' tests: on a machine without CUDA, `--device cuda` is a
// clear error before anything is written, and a bad name is an error naming the flag.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cuda } from '../../src/engine/index.js';
import { selfsup } from './cli.js';

/** A test's skip reason where CUDA is visible (these tests check the error a missing device gives). */
export const skipWithCuda: string | false = cuda.isAvailable() && 'a CUDA device is visible';

/** The error of `--device cuda` (or `device: 'cuda'`) without a CUDA device. */
export const CUDA_MISSING = /device 'cuda' is not available: (no CUDA device is visible|this libtorch build has no CUDA support)/;

/** `selfsup ...args --device cuda` exits non-zero with CUDA_MISSING and leaves none of `paths`. */
export function assertCudaRefused(args: string[], paths: string[]): void {
  const r = selfsup([...args, '--device', 'cuda']);
  assert.notEqual(r.status, 0, `${args.slice(0, 2).join(' ')} --device cuda succeeded`);
  assert.match(r.stderr, CUDA_MISSING);
  for (const p of paths) assert.ok(!existsSync(p), `${p} is left`);
}
