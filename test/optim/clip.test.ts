// clipGradNorm_ against norms and scalings computed by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, type Tensor } from '../../src/engine/index.js';
import { clipGradNorm_ } from '../../src/optim/index.js';
import { assertClose } from '../helpers/assert.js';

function withGrads(gs: (number[] | null)[]): Tensor[] {
  return gs.map((g, i) => {
    const p = tensor(g ?? [0], { dtype: 'float64', requiresGrad: true }).keep();
    if (g !== null) tidy(() => void (p.grad = tensor(g, { dtype: 'float64' })));
    if (g === null) assert.equal(p.grad, null, `param ${i} has no grad`);
    return p;
  });
}
const gradsOf = (ps: Tensor[]) => tidy(() => ps.map((p) => (p.grad === null ? null : p.grad.tolist())));

test('2-norm over all gradients; scaled by maxNorm / (total + 1e-6) when above maxNorm', () => {
  // total = sqrt(3^2 + 4^2 + 12^2) = 13
  const ps = withGrads([[3, 4], [12], null]);
  const total = clipGradNorm_(ps, 6.5);
  assertClose(total, 13, 1e-12);
  const c = 6.5 / (13 + 1e-6);
  assertClose(gradsOf(ps).slice(0, 2), [[3 * c, 4 * c], [12 * c]], 1e-12);
  assert.equal(gradsOf(ps)[2], null);
  // Below maxNorm nothing changes.
  const before = gradsOf(ps);
  assertClose(clipGradNorm_(ps, 7), 13 * c, 1e-12);
  assert.deepEqual(gradsOf(ps), before);
  ps.forEach((p) => p.dispose());
});

test('other norms: 1-norm, max-norm; no gradients gives 0', () => {
  let ps = withGrads([[3, -4], [-12]]);
  assertClose(clipGradNorm_(ps, 100, 1), 19, 1e-12);
  assert.deepEqual(gradsOf(ps), [[3, -4], [-12]]);
  assertClose(clipGradNorm_(ps, 6, Infinity), 12, 1e-12);
  const c = 6 / (12 + 1e-6);
  assertClose(gradsOf(ps), [[3 * c, -4 * c], [-12 * c]], 1e-12);
  ps.forEach((p) => p.dispose());
  ps = withGrads([null]);
  assert.equal(clipGradNorm_(ps, 1), 0);
  ps.forEach((p) => p.dispose());
});

test('non-finite norms are an error when asked; bad arguments are named', () => {
  const ps = withGrads([[Infinity, 1]]);
  assert.throws(() => clipGradNorm_(ps, 1, 2, { errorIfNonfinite: true }), /total norm of order 2 of the gradients is not finite/);
  assert.throws(() => clipGradNorm_(ps, -1), /maxNorm must be >= 0/);
  assert.throws(() => clipGradNorm_(ps, 1, 0), /normType must be positive/);
  ps.forEach((p) => p.dispose());
});
