import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, rand, manualSeed, tidy, memory, F, type Tensor } from '../../src/engine/index.js';
import {
  Compose, RandomCrop, RandomResizedCrop, RandomHorizontalFlip, ColorJitter, RandomGrayscale, Normalize, grayscale,
  type BatchTransform,
} from '../../src/data/augment/index.js';
import { Rng } from '../../src/data/rng.js';

const f32 = (t: Tensor) => t.data() as Float32Array;

/** Batch [B, C, H, W] whose value at (n, c, i, j) is v(n, c, i, j). */
function makeBatch(b: number, c: number, h: number, w: number, v: (n: number, c: number, i: number, j: number) => number): Tensor {
  const a = new Float32Array(b * c * h * w);
  for (let n = 0; n < b; n++) for (let k = 0; k < c; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) a[((n * c + k) * h + i) * w + j] = v(n, k, i, j);
  return tensor(a, { shape: [b, c, h, w] });
}
const at = (a: Float32Array, s: number[], n: number, c: number, i: number, j: number) => a[((n * s[1]! + c) * s[2]! + i) * s[3]! + j]!;

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i]! - b[i]!) <= tol)) assert.fail(`${what}: element ${i} is ${a[i]}, expected ${b[i]} (tolerance ${tol})`);
  }
}

const RANDOM: [string, BatchTransform][] = [
  ['RandomCrop', new RandomCrop(8, { padding: 2 })],
  ['RandomResizedCrop', new RandomResizedCrop(6)],
  ['RandomHorizontalFlip', new RandomHorizontalFlip()],
  ['ColorJitter', new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4 })],
  ['RandomGrayscale', new RandomGrayscale(0.5)],
  ['Compose', new Compose([new RandomResizedCrop(8, { scale: [0.5, 1] }), new RandomHorizontalFlip(), new ColorJitter({ brightness: 0.3, contrast: 0.3 }), new Normalize([0.5, 0.4, 0.3], [0.2, 0.2, 0.2])])],
];

test('each random augmentation is deterministic under a seed, whatever the global torch RNG does', () => {
  tidy(() => {
    const x = rand([16, 3, 8, 8]);
    for (const [name, t] of RANDOM) {
      const a = f32(t.apply(x, new Rng(7)));
      manualSeed(1234);
      rand([100]);
      const b = f32(t.apply(x, new Rng(7)));
      assert.deepEqual(b, a, `${name}: same seed, different output`);
      const c = f32(t.apply(x, new Rng(8)));
      assert.notDeepEqual(c, a, `${name}: a different seed gave the same output`);
    }
  });
});

test('augmentations leave the input untouched and free their temporaries', () => {
  const x = rand([4, 3, 8, 8]);
  const before = f32(x);
  const live = memory().liveTensors;
  for (const [, t] of RANDOM) t.apply(x, new Rng(1)).dispose();
  assert.equal(memory().liveTensors, live);
  assert.deepEqual(f32(x), before);
  x.dispose();
});

test('horizontal flip moves a known pixel to the mirrored column, per the drawn decisions', () => {
  tidy(() => {
    const [b, h, w] = [32, 5, 7];
    const x = makeBatch(b, 1, h, w, (n, _c, i, j) => (i === 1 && j === 2 ? 1 : 0));
    const flipped = f32(new RandomHorizontalFlip(1).apply(x, new Rng(1)));
    for (let n = 0; n < b; n++) {
      assert.equal(at(flipped, [b, 1, h, w], n, 0, 1, w - 1 - 2), 1);
      assert.equal(at(flipped, [b, 1, h, w], n, 0, 1, 2), 0);
    }
    assert.deepEqual(f32(new RandomHorizontalFlip(0).apply(x, new Rng(1))), f32(x));
    const t = new RandomHorizontalFlip(0.5);
    const decisions = t.draw(new Rng(3), b);
    const y = f32(t.apply(x, new Rng(3)));
    let flips = 0;
    for (let n = 0; n < b; n++) {
      const col = decisions[n] ? w - 1 - 2 : 2;
      assert.equal(at(y, [b, 1, h, w], n, 0, 1, col), 1, `sample ${n}`);
      flips += decisions[n]!;
    }
    assert.ok(flips > 4 && flips < 28, `p = 0.5 flipped ${flips} of ${b}`);
  });
});

test('random crop with padding has the requested size and content shifted by the drawn offset', () => {
  tidy(() => {
    const [b, c, h, w, p] = [12, 2, 6, 5, 2];
    const v = (n: number, k: number, i: number, j: number) => 1 + n * 1000 + k * 100 + i * 10 + j;
    const x = makeBatch(b, c, h, w, v);
    for (const size of [null, [4, 3] as [number, number]]) {
      const t = new RandomCrop(size, { padding: p });
      const [oh, ow] = size ?? [h, w];
      const { top, left } = t.draw(new Rng(5), b, h, w);
      const y = t.apply(x, new Rng(5));
      assert.deepEqual(y.shape, [b, c, oh, ow]);
      const ya = f32(y);
      let moved = 0;
      for (let n = 0; n < b; n++) {
        assert.ok(top[n]! >= 0 && top[n]! <= h + 2 * p - oh && left[n]! >= 0 && left[n]! <= w + 2 * p - ow);
        if (top[n] !== p || left[n] !== p) moved++;
        for (let k = 0; k < c; k++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
          const si = top[n]! + i - p, sj = left[n]! + j - p; // position in the unpadded image
          const want = si >= 0 && si < h && sj >= 0 && sj < w ? v(n, k, si, sj) : 0;
          assert.equal(at(ya, [b, c, oh, ow], n, k, i, j), want, `sample ${n} (${k}, ${i}, ${j})`);
        }
      }
      assert.ok(moved > 0, 'no sample was shifted');
    }
    // Without padding at full size, the crop is the identity.
    assert.deepEqual(f32(new RandomCrop().apply(x, new Rng(1))), f32(x));
    assert.throws(() => new RandomCrop(9).apply(x, new Rng(1)), /crop 9x9 is larger than the padded image 6x5/);
  });
});

test('random resized crop with scale (1, 1) and ratio (1, 1) is the identity', () => {
  tidy(() => {
    const x = rand([6, 3, 9, 9]);
    const y = new RandomResizedCrop(9, { scale: [1, 1], ratio: [1, 1] }).apply(x, new Rng(2));
    assertClose(f32(y), f32(x), 1e-5, 'identity crop');
  });
});

test('random resized crop equals bilinear resizing (F.interpolate) of the drawn box', () => {
  tidy(() => {
    const [b, c, h, w] = [10, 2, 32, 28];
    const x = rand([b, c, h, w]);
    const t = new RandomResizedCrop([12, 10], { scale: [0.4, 1] });
    const boxes = t.draw(new Rng(9), b, h, w);
    const y = t.apply(x, new Rng(9));
    assert.deepEqual(y.shape, [b, c, 12, 10]);
    for (const [n, bx] of boxes.entries()) {
      const area = (bx.height * bx.width) / (h * w);
      const ratio = bx.width / bx.height;
      assert.ok(bx.top >= 0 && bx.left >= 0 && bx.top + bx.height <= h && bx.left + bx.width <= w, `box ${JSON.stringify(bx)} outside the image`);
      assert.ok(area > 0.35 && area <= 1.05, `box area fraction ${area}`);
      assert.ok(ratio > 0.7 && ratio < 1.45, `box ratio ${ratio}`);
      // The boxes here are at least 12 x 10, so bilinear sampling stays inside the box.
      assert.ok(bx.height >= 12 && bx.width >= 10);
      const want = F.interpolate(x.narrow(0, n, 1).narrow(2, bx.top, bx.height).narrow(3, bx.left, bx.width), [12, 10], 'bilinear', false);
      assertClose(f32(y.narrow(0, n, 1)), f32(want), 1e-5, `sample ${n}`);
    }
    // Ratio 3 at 90-100% of a 20 x 20 image never fits (width sqrt(360 * 3) > 20), so torchvision's
    // fallback applies: width 20, height round(20 / 3) = 7, centred: top (20 - 7) // 2 = 6.
    const wide = new RandomResizedCrop(4, { scale: [0.9, 1], ratio: [3, 3] }).box(new Rng(1), 20, 20);
    assert.deepEqual(wide, { top: 6, left: 0, height: 7, width: 20 });
  });
});

test('colour jitter with factor 1 is the identity; fixed factors give torchvision\'s blends', () => {
  tidy(() => {
    const [b, h, w] = [3, 4, 5];
    const x = rand([b, 3, h, w]);
    const xa = f32(x);
    assert.deepEqual(f32(new ColorJitter({ brightness: [1, 1] }).apply(x, new Rng(1))), xa);
    assert.deepEqual(f32(new ColorJitter({ brightness: 0.5, p: 0 }).apply(x, new Rng(1))), xa);
    const s = [b, 3, h, w];
    const gray = (n: number, i: number, j: number) => 0.2989 * at(xa, s, n, 0, i, j) + 0.587 * at(xa, s, n, 1, i, j) + 0.114 * at(xa, s, n, 2, i, j);
    const clamp = (v: number) => Math.min(1, Math.max(0, v));
    const expect = (fn: (n: number, c: number, i: number, j: number) => number) => {
      const out: number[] = [];
      for (let n = 0; n < b; n++) for (let c = 0; c < 3; c++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out.push(clamp(fn(n, c, i, j)));
      return out;
    };
    // Brightness 1.7: 1.7 x, clamped.
    assertClose(f32(new ColorJitter({ brightness: [1.7, 1.7] }).apply(x, new Rng(1))), expect((n, c, i, j) => 1.7 * at(xa, s, n, c, i, j)), 1e-6, 'brightness');
    // Contrast 0.3: blend with the mean of the image's grayscale.
    const means = [0, 1, 2].map((n) => {
      let t = 0;
      for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) t += gray(n, i, j);
      return t / (h * w);
    });
    assertClose(f32(new ColorJitter({ contrast: [0.3, 0.3] }).apply(x, new Rng(1))), expect((n, c, i, j) => 0.3 * at(xa, s, n, c, i, j) + 0.7 * means[n]!), 1e-5, 'contrast');
    // Saturation 2: blend with the grayscale image.
    assertClose(f32(new ColorJitter({ saturation: [2, 2] }).apply(x, new Rng(1))), expect((n, c, i, j) => 2 * at(xa, s, n, c, i, j) - gray(n, i, j)), 1e-5, 'saturation');
  });
});

test('colour jitter applies brightness and contrast in the drawn per-sample order', () => {
  tidy(() => {
    const [b, h, w] = [24, 3, 3];
    const x = rand([b, 1, h, w]);
    const xa = f32(x);
    const t = new ColorJitter({ brightness: [0.5, 1.5], contrast: [0.5, 1.5] });
    const { order, factors } = t.draw(new Rng(4), b);
    const y = f32(t.apply(x, new Rng(4)));
    const orders = new Set<string>();
    for (let n = 0; n < b; n++) {
      let img = Array.from(xa.subarray(n * h * w, (n + 1) * h * w));
      const ops = Array.from(order.subarray(n * 3, n * 3 + 3));
      orders.add(ops.filter((o) => o < 2).join(''));
      for (const op of ops) {
        const f = factors[n * 3 + op]!;
        if (op === 0) img = img.map((v) => Math.min(1, Math.max(0, f * v)));
        if (op === 1) {
          const m = img.reduce((a, v) => a + v, 0) / img.length; // one channel: the image is its own grayscale
          img = img.map((v) => Math.min(1, Math.max(0, f * v + (1 - f) * m)));
        }
        // op 2 (saturation) is disabled here: factor 1.
        if (op === 2) assert.equal(f, 1);
      }
      assertClose(y.subarray(n * h * w, (n + 1) * h * w), img, 1e-5, `sample ${n}`);
    }
    assert.equal(orders.size, 2, 'both orders of brightness and contrast should occur');
    // One channel: saturation leaves an image unchanged.
    assert.deepEqual(f32(new ColorJitter({ saturation: [0, 0] }).apply(x, new Rng(1))), xa);
    assert.throws(() => new ColorJitter({ brightness: 0.2 }).apply(rand([1, 2, 3, 3]), new Rng(1)), /expected 1 or 3 channels, got 2/);
  });
});

test('grayscale of an RGB image gives equal channels with the ITU-R 601 weights', () => {
  tidy(() => {
    const rgb = [[0.2, 0.6, 1.0], [1, 0, 0], [0, 1, 0], [0, 0, 1]];
    const x = makeBatch(4, 3, 1, 2, (n, c) => rgb[n]![c]!);
    const y = f32(new RandomGrayscale(1).apply(x, new Rng(1)));
    for (let n = 0; n < 4; n++) {
      const [r, g, bl] = rgb[n]!;
      const want = 0.2989 * r! + 0.587 * g! + 0.114 * bl!;
      for (let c = 0; c < 3; c++) for (let j = 0; j < 2; j++) assert.ok(Math.abs(at(y, [4, 3, 1, 2], n, c, 0, j) - want) < 1e-6, `image ${n} channel ${c}`);
    }
    assert.deepEqual(grayscale(x).shape, [4, 1, 1, 2]);
    assert.deepEqual(f32(new RandomGrayscale(0).apply(x, new Rng(1))), f32(x));
    const one = rand([2, 1, 3, 3]);
    assert.deepEqual(f32(new RandomGrayscale(1).apply(one, new Rng(1))), f32(one));
  });
});

test('normalise gives the hand-computed values', () => {
  tidy(() => {
    const x = makeBatch(1, 2, 1, 2, (_n, c, _i, j) => [[0.5, 1.0], [0.2, 0.0]][c]![j]!);
    const y = f32(new Normalize([0.5, 0.1], [0.25, 0.2]).apply(x));
    assertClose(y, [0, 2, 0.5, -0.5], 1e-6, 'normalise');
    assertClose(f32(new Normalize(0.5, 0.5).apply(x)), [0, 1, -0.6, -1], 1e-6, 'one value for all channels');
    assert.throws(() => new Normalize([0.5, 0.5, 0.5], [1, 1, 1]).apply(x), /3 mean\/std values for a batch with 2 channels/);
    assert.throws(() => new Normalize([0.5], [0]), /std values must be positive/);
  });
});

test('bad input gives clear errors', () => {
  tidy(() => {
    assert.throws(() => new RandomHorizontalFlip().apply(rand([3, 4, 4]), new Rng(1)), /RandomHorizontalFlip: expected a batch \[B, C, H, W\], got shape \[3, 4, 4\]/);
    assert.throws(() => new RandomCrop().apply(tensor(new Uint8Array(16), { shape: [1, 1, 4, 4] }), new Rng(1)), /expected a floating batch/);
    assert.throws(() => new RandomHorizontalFlip(1.5), /p must be a probability in \[0, 1\], got 1.5/);
    assert.throws(() => new RandomResizedCrop(8, { scale: [0.5, 0.1] }), /scale must satisfy/);
    assert.throws(() => new RandomCrop(0), /size must be a positive integer/);
    assert.throws(() => new Compose([{} as BatchTransform]), /transforms\[0\] has no apply/);
  });
});
