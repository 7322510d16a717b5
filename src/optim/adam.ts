// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), exactly as torch.optim.Adam
// and torch.optim.AdamW in PyTorch 1.13 (single-tensor path).
import type { Tensor } from '../engine/index.js';
import { zerosLike } from '../engine/index.js';
import { Optimizer, defined, type ParamGroup, type ParamState, type Params } from './optimizer.js';

export interface AdamHyper {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}
export type AdamOptions = Partial<AdamHyper>;

/**
 * Shared update. t = step count; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * (amsgrad: vmax = max(vmax, v), used instead of v);
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * Adam adds weightDecay * p to g (L2); AdamW multiplies p by 1 - lr * weightDecay first (decoupled).
 * State: step (a number), exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad).
 */
abstract class AdamBase extends Optimizer<AdamHyper> {
  protected abstract readonly decoupled: boolean;

  protected override checkHyper(g: AdamHyper): void {
    super.checkHyper(g);
    const n = this.constructor.name;
    if (!(g.eps >= 0)) throw new RangeError(`${n}: invalid eps ${g.eps}`);
    if (!Array.isArray(g.betas) || g.betas.length !== 2) throw new RangeError(`${n}: betas must be a pair [beta1, beta2]`);
    g.betas.forEach((b, i) => {
      if (!(b >= 0 && b < 1)) throw new RangeError(`${n}: invalid beta at index ${i}: ${b} (expected 0 <= beta < 1)`);
    });
    if (!(g.weightDecay >= 0)) throw new RangeError(`${n}: invalid weightDecay ${g.weightDecay}`);
  }

  protected update(p: Tensor, grad: Tensor, g: ParamGroup<AdamHyper>, st: ParamState): void {
    const [beta1, beta2] = g.betas;
    if (st.step === undefined) {
      st.step = 0;
      this.setState(st, 'exp_avg', zerosLike(p));
      this.setState(st, 'exp_avg_sq', zerosLike(p));
      if (g.amsgrad) this.setState(st, 'max_exp_avg_sq', zerosLike(p));
    }
    if (g.amsgrad && st.max_exp_avg_sq === undefined) this.setState(st, 'max_exp_avg_sq', zerosLike(p));
    const step = (st.step as number) + 1;
    st.step = step;
    let d = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) {
      if (this.decoupled) p.mul_(1 - g.lr * g.weightDecay);
      else d = d.add(p, g.weightDecay);
    }
    const expAvg = st.exp_avg as Tensor;
    const expAvgSq = st.exp_avg_sq as Tensor;
    expAvg.mul_(beta1).add_(d, 1 - beta1);
    expAvgSq.mul_(beta2).addcmul_(d, d, 1 - beta2);
    const bc1 = 1 - beta1 ** step;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
    let second = expAvgSq;
    if (g.amsgrad) {
      const mx = st.max_exp_avg_sq as Tensor;
      mx.copy_(mx.maximum(expAvgSq));
      second = mx;
    }
    const denom = second.sqrt().div(bc2Sqrt).add(g.eps);
    p.addcdiv_(expAvg, denom, -g.lr / bc1);
  }
}

export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: Params<AdamHyper>, o: AdamOptions = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...defined(o) });
  }
}

export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: Params<AdamHyper>, o: AdamOptions = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, ...defined(o) });
  }
}
