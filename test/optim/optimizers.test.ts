// SGD, Adam, AdamW against reference update loops in plain JS numbers, written from the
// published formulas (and PyTorch 1.13's documented algorithm boxes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, tidy, type Tensor } from '../../src/engine/index.js';
import { SGD, Adam, AdamW, type Optimizer } from '../../src/optim/index.js';
import { assertClose } from '../helpers/assert.js';

const P0 = [1, -2, 3];
/** Gradient at step t (0-based): changes sign and size so that momentum and amsgrad matter. */
const gradAt = (t: number): number[] => [0.5 * (t + 1), -1 + 0.7 * t, 2 / (t + 1)].map((v, i) => (t % 2 && i === 1 ? -v : v));
const STEPS = 5;

function param(values = P0): Tensor {
  return tensor(values, { dtype: 'float64', requiresGrad: true }).keep();
}
const setGrad = (p: Tensor, g: number[]) => tidy(() => void (p.grad = tensor(g, { dtype: 'float64' })));
const values = (p: Tensor) => p.tolist() as number[];

/** Runs `opt` for STEPS steps with gradAt and compares with ref after every step. */
function check(make: (p: Tensor) => Optimizer<any>, ref: (p: number[], g: number[], state: Record<string, any>) => number[], label: string) {
  const p = param();
  const opt = make(p);
  let r = [...P0];
  const st: Record<string, any> = {};
  for (let t = 0; t < STEPS; t++) {
    setGrad(p, gradAt(t));
    opt.step();
    r = ref(r, gradAt(t), st);
    assertClose(values(p), r, 1e-12, `${label} step ${t + 1}`);
  }
  opt.dispose();
  p.dispose();
}

interface SgdRef {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  maximize?: boolean;
}
function sgdRef(o: SgdRef) {
  const { lr, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0, maximize = false } = o;
  return (p: number[], g: number[], st: Record<string, any>): number[] =>
    p.map((pi, i) => {
      let d = maximize ? -g[i]! : g[i]!;
      d += weightDecay * pi;
      if (momentum !== 0) {
        st.buf ??= [];
        // First step: the buffer is the gradient itself, without dampening.
        st.buf[i] = st.buf[i] === undefined ? d : momentum * st.buf[i] + (1 - dampening) * d;
        d = nesterov ? d + momentum * st.buf[i] : st.buf[i];
      }
      return pi - lr * d;
    });
}

interface AdamRef {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
  decoupled?: boolean;
}
function adamRef(o: AdamRef) {
  const { lr, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0, amsgrad = false, maximize = false, decoupled = false } = o;
  const [b1, b2] = betas;
  return (p: number[], g: number[], st: Record<string, any>): number[] => {
    st.t = (st.t ?? 0) + 1;
    st.m ??= p.map(() => 0);
    st.v ??= p.map(() => 0);
    st.vmax ??= p.map(() => 0);
    return p.map((pi, i) => {
      let gi = maximize ? -g[i]! : g[i]!;
      if (decoupled) pi *= 1 - lr * weightDecay;
      else gi += weightDecay * pi;
      st.m[i] = b1 * st.m[i] + (1 - b1) * gi;
      st.v[i] = b2 * st.v[i] + (1 - b2) * gi * gi;
      st.vmax[i] = Math.max(st.vmax[i], st.v[i]);
      const mHat = st.m[i] / (1 - b1 ** st.t);
      const v = amsgrad ? st.vmax[i] : st.v[i];
      return pi - (lr * mHat) / (Math.sqrt(v) / Math.sqrt(1 - b2 ** st.t) + eps);
    });
  };
}

test('SGD: plain, momentum, dampening, nesterov, weight decay, maximize match the reference', () => {
  const cases: SgdRef[] = [
    { lr: 0.1 },
    { lr: 0.1, momentum: 0.9 },
    { lr: 0.05, momentum: 0.8, dampening: 0.5 },
    { lr: 0.1, momentum: 0.9, nesterov: true },
    { lr: 0.1, weightDecay: 0.01 },
    { lr: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true },
    { lr: 0.1, momentum: 0.5, maximize: true },
  ];
  for (const c of cases) check((p) => new SGD([p], c), sgdRef(c), `SGD ${JSON.stringify(c)}`);
});

test('Adam and AdamW (with weight decay, amsgrad, maximize) match the reference', () => {
  const cases: [string, AdamRef][] = [
    ['Adam', { lr: 0.1 }],
    ['Adam', { lr: 0.1, betas: [0.8, 0.9], eps: 1e-3 }],
    ['Adam', { lr: 0.1, weightDecay: 0.1 }],
    ['Adam', { lr: 0.1, betas: [0.9, 0.5], amsgrad: true }],
    ['Adam', { lr: 0.05, maximize: true }],
    ['AdamW', { lr: 0.1, weightDecay: 0.1, decoupled: true }],
    ['AdamW', { lr: 0.1, betas: [0.9, 0.5], weightDecay: 0.5, amsgrad: true, decoupled: true }],
  ];
  for (const [kind, c] of cases) {
    const { decoupled: _, ...opts } = c;
    check((p) => (kind === 'Adam' ? new Adam([p], opts) : new AdamW([p], opts)), adamRef(c), `${kind} ${JSON.stringify(c)}`);
  }
  // AdamW's default weight decay is 1e-2, decoupled.
  check((p) => new AdamW([p], { lr: 0.1 }), adamRef({ lr: 0.1, weightDecay: 1e-2, decoupled: true }), 'AdamW defaults');
  // Adam's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8.
  check((p) => new Adam([p]), adamRef({ lr: 1e-3 }), 'Adam defaults');
});

test('amsgrad differs from plain Adam on these gradients (the test can see it)', () => {
  const run = (amsgrad: boolean) => {
    let p = [...P0];
    const f = adamRef({ lr: 0.1, betas: [0.9, 0.5], amsgrad });
    const st = {};
    for (let t = 0; t < STEPS; t++) p = f(p, gradAt(t), st);
    return p;
  };
  assert.ok(run(true).some((v, i) => Math.abs(v - run(false)[i]!) > 1e-4));
});

test('parameter groups use their own hyperparameters; params without grad are skipped', () => {
  const a = param(), b = param(), c = param();
  const opt = new SGD([{ params: [a] }, { params: [b, c], lr: 0.5, momentum: 0.9 }], { lr: 0.1 });
  assert.equal(opt.paramGroups[0]!.momentum, 0);
  assert.equal(opt.paramGroups[1]!.lr, 0.5);
  setGrad(a, [1, 1, 1]);
  setGrad(b, [1, 1, 1]);
  opt.step();
  assertClose(values(a), [0.9, -2.1, 2.9], 1e-12);
  assertClose(values(b), [0.5, -2.5, 2.5], 1e-12);
  assert.deepEqual(values(c), P0);
  assert.equal(opt.state.has(c), false);
  assert.ok(opt.state.get(b)!.momentum_buffer !== undefined);
  opt.dispose();
  for (const t of [a, b, c]) t.dispose();
});

test('zeroGrad drops or zeroes gradients', () => {
  const p = param();
  const opt = new Adam([p]);
  setGrad(p, [1, 2, 3]);
  opt.zeroGrad(false);
  assert.deepEqual(tidy(() => p.grad!.tolist()), [0, 0, 0]);
  opt.zeroGrad();
  assert.equal(p.grad, null);
  p.dispose();
});

test('bad settings and parameters give clear errors', () => {
  const p = param();
  assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /nesterov momentum requires momentum > 0 and zero dampening/);
  assert.throws(() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /zero dampening/);
  assert.throws(() => new SGD([p], {} as never), /learning rate lr is required/);
  assert.throws(() => new SGD([p], { lr: -1 }), /invalid learning rate lr=-1/);
  assert.throws(() => new Adam([p], { betas: [0.9, 1] }), /invalid beta at index 1/);
  assert.throws(() => new Adam([p], { eps: -1 }), /invalid eps/);
  assert.throws(() => new SGD([], { lr: 0.1 }), /empty parameter list/);
  assert.throws(() => new SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 }), /more than one parameter group/);
  const nonLeaf = tidy(() => p.mul(2));
  assert.throws(() => new SGD([nonLeaf], { lr: 0.1 }), /not a leaf tensor/);
  const z = zeros([2]);
  assert.throws(() => new SGD([z, 3 as never], { lr: 0.1 }), /params\[1\] is not a Tensor/);
  for (const t of [p, nonLeaf, z]) t.dispose();
});
