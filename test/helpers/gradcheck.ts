// Gradient check: autograd's gradients against central finite differences, in float64.
import assert from 'node:assert/strict';
import { type Tensor, tensor, tidy, noGrad } from '../../src/engine/index.js';
import { uniform } from './random.js';

export interface GradcheckOptions {
  /** Perturbation of each input element. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the fixed output weighting. */
  seed?: number;
}

export interface GradcheckResult {
  /** Largest |analytic - numeric| over all checked elements. */
  maxAbsError: number;
  /** Number of input elements checked. */
  checked: number;
}

/**
 * Checks d L / d inputs for L(x) = sum(fn(...x) * W), where W is a fixed random weighting
 * of fn's output (so every output element matters), comparing autograd's gradient with
 * (L(x + eps e_j) - L(x - eps e_j)) / (2 eps) for every element j of every input.
 * Inputs must be float64 and are not modified; pass non-differentiable arguments
 * (targets, options) through fn's closure. Throws an AssertionError naming the input,
 * the element and both values at the first mismatch beyond atol + rtol * |numeric|.
 */
export function gradcheck(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], o: GradcheckOptions = {}): GradcheckResult {
  const eps = o.eps ?? 1e-6, atol = o.atol ?? 1e-5, rtol = o.rtol ?? 1e-5;
  return tidy(() => {
    for (const [i, x] of inputs.entries()) {
      assert.equal(x.dtype, 'float64', `gradcheck(${name}): input ${i} must be float64, got ${x.dtype}`);
    }
    const values = inputs.map((x) => x.data() as Float64Array); // copies we may perturb
    const shapes = inputs.map((x) => x.shape);
    const make = (i: number, v: Float64Array) => tensor(v, { shape: shapes[i] });

    // Analytic: backward of the weighted sum.
    const leaves = values.map((v, i) => make(i, v).requiresGrad_(true));
    const out = fn(...leaves);
    assert.equal(out.dtype, 'float64', `gradcheck(${name}): output must be float64, got ${out.dtype}`);
    const w = uniform(out.numel(), o.seed ?? 7, -1, 1);
    out.mul(tensor(w, { shape: out.shape })).sum().backward();
    const analytic = leaves.map((l) => {
      const g = l.grad;
      return g === null ? new Float64Array(l.numel()) : (g.data() as Float64Array);
    });

    // Numeric: the same weighted sum, computed in JS from fn's output values.
    const loss = (): number =>
      tidy(() =>
        noGrad(() => {
          const d = fn(...values.map((v, i) => make(i, v))).data() as Float64Array;
          let s = 0;
          for (let k = 0; k < d.length; k++) s += d[k]! * w[k]!;
          return s;
        }),
      );

    let maxAbsError = 0, checked = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      for (let j = 0; j < v.length; j++) {
        const x0 = v[j]!;
        v[j] = x0 + eps;
        const lp = loss();
        v[j] = x0 - eps;
        const lm = loss();
        v[j] = x0;
        const numeric = (lp - lm) / (2 * eps);
        const a = analytic[i]![j]!;
        const err = Math.abs(a - numeric);
        maxAbsError = Math.max(maxAbsError, err);
        checked++;
        assert.ok(
          err <= atol + rtol * Math.abs(numeric),
          `gradcheck(${name}): input ${i} [${shapes[i]!.join(', ')}] element ${j}: analytic ${a}, numeric ${numeric} (|diff| ${err})`,
        );
      }
    }
    return { maxAbsError, checked };
  });
}
