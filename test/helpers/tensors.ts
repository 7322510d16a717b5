// Comparing tensors and arrays: largest elementwise differences, bytes in hex.
import assert from 'node:assert/strict';
import { tidy, type Tensor } from '../../src/engine/index.js';

/** max |a - b| over all elements (broadcasting as Tensor.sub does); frees what it makes. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  return tidy(() => a.sub(b).abs().max().item());
}

/** max |a[i] - b[i]| over two arrays, which must have the same length (0 for empty ones). */
export function maxAbsDiffArrays(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A tensor's bytes (rawData()) in hex, for bit-exact comparisons. */
export function hex(t: Tensor): string {
  return Buffer.from(t.rawData()).toString('hex');
}
