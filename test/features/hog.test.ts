// HOG against scikit-image's skimage.feature.hog (fixtures made by test/fixtures/hog/make_fixtures.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cat, fromBytes, tensor, tidy, type Tensor } from '../../src/engine/index.js';
import { hog, hogDim, hogParams, hogShape, type BlockNorm } from '../../src/features/hog.js';
import { maxAbsDiffArrays } from '../helpers/tensors.js';

interface FixtureImage {
  shape: [number, number, number];
  kind: 'u8' | 'f32';
  data: number[];
}
interface FixtureCase {
  image: string;
  params: { orientations: number; pixelsPerCell: [number, number]; cellsPerBlock: [number, number]; blockNorm: BlockNorm; transformSqrt: boolean };
  shape: number[];
  expected: number[];
}
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/hog/hog_cases.json', import.meta.url));
const fixtures = JSON.parse(readFileSync(FIXTURES, 'utf8')) as { images: Record<string, FixtureImage>; cases: FixtureCase[] };

/** The image as a [1, C, H, W] float32 tensor on [0, 1], as the fixture script made it. */
function imageTensor(im: FixtureImage): Tensor {
  return tidy(() =>
    im.kind === 'u8'
      ? fromBytes(Uint8Array.from(im.data), [1, ...im.shape], 'uint8').float().div(255)
      : tensor(Float32Array.from(im.data), { shape: [1, ...im.shape] }),
  );
}

const describe = (c: FixtureCase) =>
  `${c.image} ${c.params.orientations} orientations, cell ${c.params.pixelsPerCell.join('x')}, block ${c.params.cellsPerBlock.join('x')}, ${c.params.blockNorm}${c.params.transformSqrt ? ', sqrt' : ''}`;

test('fixtures cover every block norm, transform_sqrt, colour, non-square cells and partial cells', () => {
  const norms = new Set(fixtures.cases.map((c) => c.params.blockNorm));
  assert.deepEqual([...norms].sort(), ['L1', 'L1-sqrt', 'L2', 'L2-Hys']);
  assert.ok(fixtures.cases.some((c) => c.params.transformSqrt));
  assert.ok(fixtures.cases.some((c) => fixtures.images[c.image]!.shape[0] === 3));
  assert.ok(fixtures.cases.some((c) => c.params.pixelsPerCell[0] !== c.params.pixelsPerCell[1]));
  assert.ok(fixtures.cases.some((c) => fixtures.images[c.image]!.shape[1] % c.params.pixelsPerCell[0] !== 0));
});

for (const c of fixtures.cases) {
  test(`matches skimage within 1e-4: ${describe(c)}`, () => {
    const im = fixtures.images[c.image]!;
    const x = imageTensor(im);
    const got = tidy(() => hog(x, c.params, { featureVector: false }));
    assert.deepEqual(got.shape, [1, ...c.shape]);
    assert.deepEqual(hogShape(im.shape, c.params), c.shape);
    assert.equal(hogDim(im.shape, c.params), c.expected.length);
    const diff = maxAbsDiffArrays(got.data() as Float32Array, c.expected);
    assert.ok(diff <= 1e-4, `max |ours - skimage| = ${diff}`);
    x.dispose();
    got.dispose();
  });
}

test('a batch gives each image the descriptor it gets alone', () => {
  // The two 32x32 grayscale fixture images (random and padded Fashion-MNIST), with default parameters.
  const names = ['random_gray_32', 'fmnist_padded_32'];
  const params = { pixelsPerCell: [4, 4] as const, cellsPerBlock: [2, 2] as const };
  tidy(() => {
    const xs = names.map((n) => imageTensor(fixtures.images[n]!));
    const batch = hog(cat(xs, 0), params);
    assert.deepEqual(batch.shape, [2, 7 * 7 * 2 * 2 * 9]);
    xs.forEach((x, i) => {
      const alone = hog(x, params);
      assert.equal(maxAbsDiffArrays(batch.select(0, i).data() as Float32Array, alone.data() as Float32Array), 0);
    });
  });
});

test('hand-computed: a horizontal step edge votes at 90 degrees, a vertical one at 0', () => {
  // 8x8 image, rows 0..3 black and 4..7 white: g_row = x[r+1] - x[r-1] = 1 on rows 3 and 4
  // (16 pixels), g_col = 0, so atan2(1, 0) = 90 degrees, bin [90, 135) of 4. Transposed: g_col = 1,
  // 0 degrees, bin [0, 45).
  const rows = new Float32Array(64).map((_, i) => (Math.floor(i / 8) >= 4 ? 1 : 0));
  const cols = new Float32Array(64).map((_, i) => (i % 8 >= 4 ? 1 : 0));
  const opts = { orientations: 4, pixelsPerCell: [8, 8] as const, cellsPerBlock: [1, 1] as const, blockNorm: 'L1' as const };
  tidy(() => {
    // One cell: histogram = (sum of magnitudes per bin) / 64 = 16 / 64 in one bin; L1-normalised -> 1 / (1 + eps/0.25).
    const expectOne = 0.25 / (0.25 + 1e-5);
    const r = hog(tensor(rows, { shape: [1, 1, 8, 8] }), opts).data() as Float32Array;
    assert.deepEqual(Array.from(r, (v) => +v.toFixed(6)), [0, 0, +expectOne.toFixed(6), 0], 'rows step: bin [90, 135)');
    const c = hog(tensor(cols, { shape: [1, 1, 8, 8] }), opts).data() as Float32Array;
    assert.deepEqual(Array.from(c, (v) => +v.toFixed(6)), [+expectOne.toFixed(6), 0, 0, 0], 'columns step: bin [0, 45)');
  });
});

test('bad parameters and images too small for one block are clear errors', () => {
  assert.throws(() => hogParams({ orientations: 0 }), /orientations must be a positive integer/);
  assert.throws(() => hogParams({ pixelsPerCell: [8, 0] as unknown as [number, number] }), /pixelsPerCell must be two positive integers/);
  assert.throws(() => hogParams({ blockNorm: 'L3' as BlockNorm }), /blockNorm must be one of L1, L1-sqrt, L2, L2-Hys/);
  assert.throws(() => hogShape([1, 16, 16]), /16x16 image has 2x2 cells of 8x8 px, fewer than one block of 3x3 cells/);
  tidy(() => assert.throws(() => hog(tensor(new Float32Array(64), { shape: [8, 8] })), /expected images \[B, C, H, W\], got shape \[8, 8\]/));
});
