import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tensor, tidy, memory, type Tensor } from '../../src/engine/index.js';
import { Preprocessor } from '../../src/cluster/index.js';
import { rng } from '../helpers/random.js';
import { assertClose } from '../helpers/assert.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('preprocess');

/** Sample covariance (normalised by N - 1) and mean of the rows, in float64 JS. */
function covariance(y: Tensor): { mean: number[]; cov: number[][] } {
  const [n, d] = y.shape as [number, number];
  const v = y.data() as Float32Array;
  const mean = Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += v[i * d + j]!;
    return s / n;
  });
  const cov = Array.from({ length: d }, (_, a) =>
    Array.from({ length: d }, (_, b) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += (v[i * d + a]! - mean[a]!) * (v[i * d + b]! - mean[b]!);
      return s / (n - 1);
    }),
  );
  return { mean, cov };
}

/** n rows of correlated, anisotropic Gaussian data in `dim` dimensions, offset from 0. */
function correlated(n: number, dim: number, seed: number): Tensor {
  const r = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const mix = Array.from({ length: dim * dim }, () => 2 * r() - 1);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: dim }, (_, j) => normal() * (j + 1)); // scales 1..dim
    for (let a = 0; a < dim; a++) {
      let s = 5 + a; // offset
      for (let b = 0; b < dim; b++) s += mix[a * dim + b]! * z[b]!;
      out[i * dim + a] = s;
    }
  }
  return tensor(out, { shape: [n, dim] });
}

test('PCA on points along (0.6, 0.8) worked by hand', () => {
  // x_i = (5, -3) + t_i (0.6, 0.8) + s_i (-0.8, 0.6), t = -2..2, s chosen with sum s = sum t s = 0,
  // so the covariance has eigenvalues var(t) = 10/4 = 2.5 and var(s) = 0.1/4 = 0.025.
  const t = [-2, -1, 0, 1, 2], s = [0.1, -0.2, 0, 0.2, -0.1];
  const x = tensor(t.map((ti, i) => [5 + 0.6 * ti - 0.8 * s[i]!, -3 + 0.8 * ti + 0.6 * s[i]!]));
  const pca = Preprocessor.fit(x, { pca: 1 });
  assertClose(pca.mean!.tolist(), [5, -3], 1e-6);
  assertClose(pca.projection!.tolist(), [[0.6], [0.8]], 1e-5); // sign: largest entry positive
  assertClose(pca.eigenvalues!.tolist(), [2.5], 1e-5);
  assertClose(pca.config.explainedVarianceRatio!, 2.5 / 2.525, 1e-5);
  const y = pca.transform(x);
  assertClose(y.tolist(), t.map((v) => [v]), 1e-5);

  const white = Preprocessor.fit(x, { whiten: true }); // all 2 components, unit variance
  assertClose(white.eigenvalues!.tolist(), [2.5, 0.025], 1e-5);
  assertClose(white.projection!.tolist(), [[0.6 / Math.sqrt(2.5), 0.8 / Math.sqrt(0.025)], [0.8 / Math.sqrt(2.5), -0.6 / Math.sqrt(0.025)]], 1e-4);
  [x, y].forEach((v) => v.dispose());
  pca.dispose();
  white.dispose();
});

test('PCA-whitened features have zero mean and identity covariance', () => {
  const x = correlated(3000, 6, 5);
  for (const pca of [6, 3]) {
    const p = Preprocessor.fit(x, { pca, whiten: true });
    const y = p.transform(x, { chunkRows: 700 });
    assert.deepEqual(y.shape, [3000, pca]);
    const { mean, cov } = covariance(y);
    assertClose(mean, new Array(pca).fill(0), 1e-4);
    const eye = Array.from({ length: pca }, (_, a) => Array.from({ length: pca }, (_, b) => (a === b ? 1 : 0)));
    assertClose(cov, eye, 1e-3);
    // Eigenvalues come largest first.
    const ev = p.eigenvalues!.tolist() as number[];
    for (let i = 1; i < ev.length; i++) assert.ok(ev[i]! <= ev[i - 1]!);
    y.dispose();
    p.dispose();
  }
  x.dispose();
});

test('PCA without whitening keeps variances equal to the eigenvalues and is orthonormal', () => {
  const x = correlated(2000, 5, 9);
  const p = Preprocessor.fit(x, { pca: 4 });
  const y = p.transform(x);
  const { cov } = covariance(y);
  const ev = p.eigenvalues!.tolist() as number[];
  const diag = Array.from({ length: 4 }, (_, a) => Array.from({ length: 4 }, (_, b) => (a === b ? ev[a]! : 0)));
  assertClose(cov, diag, 1e-3 * ev[0]!);
  const gram = tidy(() => p.projection!.t().mm(p.projection!).tolist());
  assertClose(gram, Array.from({ length: 4 }, (_, a) => Array.from({ length: 4 }, (_, b) => (a === b ? 1 : 0))), 1e-5);
  y.dispose();
  p.dispose();
  x.dispose();
});

test('L2 normalisation gives unit rows (zero rows stay zero), after PCA too', () => {
  const x = tensor([[3, 4], [0, 0], [-1, 0], [1e-3, 1e-3]]);
  const l2 = Preprocessor.fit(x, { l2: true });
  assert.equal(l2.isIdentity, false);
  assertClose(l2.transform(x).tolist(), [[0.6, 0.8], [0, 0], [-1, 0], [Math.SQRT1_2, Math.SQRT1_2]], 1e-6);
  const z = correlated(500, 6, 2);
  const p = Preprocessor.fit(z, { pca: 3, whiten: true, l2: true });
  const norms = tidy(() => p.transform(z).norm(2, 1).tolist() as number[]);
  assertClose(norms, new Array(500).fill(1), 1e-6);
  assert.equal(Preprocessor.fit(x).isIdentity, true);
  [x, z].forEach((v) => v.dispose());
  [l2, p].forEach((v) => v.dispose());
});

test('a saved preprocessor gives bit-identical output after loading', () => {
  const x = correlated(400, 5, 3);
  const dir = tmp('save');
  for (const [name, opts] of [
    ['pca', { pca: 3, whiten: true, l2: true }],
    ['l2', { l2: true }],
    ['none', {}],
  ] as const) {
    const p = Preprocessor.fit(x, opts);
    const path = join(dir, `${name}.safetensors`);
    p.save(path);
    const q = Preprocessor.load(path);
    assert.deepEqual(q.config, p.config);
    const a = p.transform(x), b = q.transform(x);
    assert.ok(Buffer.from(a.rawData()).equals(Buffer.from(b.rawData())), name);
    [a, b].forEach((v) => v.dispose());
    [p, q].forEach((v) => v.dispose());
  }
  x.dispose();
});

test('clear errors; no tensors left behind', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  const live = memory().liveTensors;
  assert.throws(() => Preprocessor.fit(x, { pca: 4 }), /pca must be an integer in 1\.\.3 \(the feature dimension\), got 4/);
  assert.throws(() => tidy(() => Preprocessor.fit(x.narrow(0, 0, 1), { pca: 2 })), /PCA needs at least 2 rows, got 1/);
  const flat = tensor([[1, 1], [1, 1], [1, 1]]);
  assert.throws(() => Preprocessor.fit(flat, { whiten: true, eps: 0 }), /cannot whiten: the data has no variance/);
  const p = Preprocessor.fit(x, { pca: 2 });
  assert.throws(() => tidy(() => p.transform(tensor([[1, 2]]))), /expected rows of 3 features, got shape \[1, 2\]/);
  p.dispose();
  flat.dispose();
  assert.equal(memory().liveTensors, live);
  x.dispose();
});
