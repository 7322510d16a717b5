// Rotation labels match the rotation applied, checked on an asymmetric image by index formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy } from '../../src/engine/index.js';
import { rotateBatch } from '../../src/pretext/rotation.js';

test('rotateBatch: label k holds the image turned k * 90 degrees counter-clockwise', () => {
  tidy(() => {
    const S = 4, B = 2;
    // No symmetry: every pixel differs.
    const v = Float32Array.from({ length: B * S * S }, (_, i) => i);
    const { images, labels } = rotateBatch(tensor(v, { shape: [B, 1, S, S] }));
    assert.deepEqual(images.shape, [4 * B, 1, S, S]);
    const y = [...(labels.data() as BigInt64Array)].map(Number);
    assert.deepEqual(y, [0, 0, 1, 1, 2, 2, 3, 3]);
    const out = images.data() as Float32Array;
    const src = (b: number, i: number, j: number) => v[b * S * S + i * S + j]!;
    // Counter-clockwise turns: (i, j) <- (j, S-1-i), (S-1-i, S-1-j), (S-1-j, i).
    const turn = [
      (b: number, i: number, j: number) => src(b, i, j),
      (b: number, i: number, j: number) => src(b, j, S - 1 - i),
      (b: number, i: number, j: number) => src(b, S - 1 - i, S - 1 - j),
      (b: number, i: number, j: number) => src(b, S - 1 - j, i),
    ];
    for (let row = 0; row < 4 * B; row++) {
      const k = y[row]!, b = row % B;
      for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
        assert.equal(out[row * S * S + i * S + j], turn[k]!(b, i, j), `row ${row} (k=${k}) pixel (${i}, ${j})`);
      }
    }
    // The top-left corner of the 90-degree turn is the original's top-right.
    assert.equal(out[2 * S * S], src(0, 0, S - 1));
  });
});

test('rotateBatch needs square images', () => {
  tidy(() => assert.throws(() => rotateBatch(tensor(new Float32Array(12), { shape: [1, 1, 3, 4] })), /square images/));
});
