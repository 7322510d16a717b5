// Approximate comparison of nested arrays of numbers (as Tensor.tolist() returns them).
import assert from 'node:assert/strict';

/** Asserts actual ≈ expected elementwise: |a - e| <= tol * (1 + |e|); shapes must match exactly. */
export function assertClose(actual: unknown, expected: unknown, tol = 1e-6, path = 'value'): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array of length ${expected.length}, got ${String(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: length ${actual.length}, expected ${expected.length}`);
    for (let i = 0; i < expected.length; i++) assertClose(actual[i], expected[i], tol, `${path}[${i}]`);
    return;
  }
  assert.equal(typeof actual, 'number', `${path}: expected a number, got ${String(actual)}`);
  const a = actual as number, e = expected as number;
  if (a === e) return;
  assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${path}: got ${a}, expected ${e} (tolerance ${tol})`);
}

/** Shape of a nested array. */
export function shapeOf(v: unknown): number[] {
  const s: number[] = [];
  while (Array.isArray(v)) {
    s.push(v.length);
    v = v[0];
  }
  return s;
}
