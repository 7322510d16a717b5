// Stochastic gradient descent with momentum (Polyak; Sutskever et al. 2013 for Nesterov),
// exactly as torch.optim.SGD in PyTorch 1.13.
import type { Tensor } from '../engine/index.js';
import { Optimizer, defined, type ParamGroup, type ParamState, type Params } from './optimizer.js';

export interface SGDHyper {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  maximize: boolean;
}
export type SGDOptions = { lr: number } & Partial<Omit<SGDHyper, 'lr'>>;

/**
 * g = grad (+ weightDecay * p); with momentum: buf = g on the first step, else
 * buf = momentum * buf + (1 - dampening) * g; g = nesterov ? g + momentum * buf : buf;
 * p -= lr * g (p += for maximize). State: momentum_buffer.
 */
export class SGD extends Optimizer<SGDHyper> {
  constructor(params: Params<SGDHyper>, o: SGDOptions) {
    if (o === undefined || typeof o.lr !== 'number') throw new Error('SGD: the learning rate lr is required, e.g. new SGD(params, { lr: 0.1 })');
    super(params, { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false, ...defined(o) });
  }

  protected override checkHyper(g: SGDHyper): void {
    super.checkHyper(g);
    if (!(g.momentum >= 0)) throw new RangeError(`SGD: invalid momentum ${g.momentum}`);
    if (!(g.weightDecay >= 0)) throw new RangeError(`SGD: invalid weightDecay ${g.weightDecay}`);
    if (typeof g.dampening !== 'number') throw new RangeError(`SGD: invalid dampening ${g.dampening}`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new Error('SGD: nesterov momentum requires momentum > 0 and zero dampening');
  }

  protected update(p: Tensor, grad: Tensor, g: ParamGroup<SGDHyper>, st: ParamState): void {
    let d = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) d = d.add(p, g.weightDecay);
    if (g.momentum !== 0) {
      let buf = st.momentum_buffer as Tensor | undefined;
      if (buf === undefined) buf = this.setState(st, 'momentum_buffer', d.clone());
      else buf.mul_(g.momentum).add_(d, 1 - g.dampening);
      d = g.nesterov ? d.add(buf, g.momentum) : buf;
    }
    p.add_(d, -g.lr);
  }
}
