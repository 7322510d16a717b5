// Batch normalisation (Ioffe & Szegedy 2015), as torch.nn.BatchNorm1d / BatchNorm2d.
// State-dict names match PyTorch's: weight, bias, running_mean, running_var, num_batches_tracked.
import { type Tensor, ones, zeros, tensor, noGrad, tidy, cat, F } from '../engine/index.js';
import { Module } from './module.js';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch statistic in the running average; null for a cumulative average. */
  momentum?: number | null;
  /** Learnable per-channel scale (weight, init 1) and shift (bias, init 0). */
  affine?: boolean;
  /** Keep running mean/variance for eval mode; without them batch statistics are always used. */
  trackRunningStats?: boolean;
}

/** Normalises over every dim but 1 (channels), per channel. */
export abstract class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  /** Weight of the new batch statistic; null for a cumulative average (see updateBatchNormStats). */
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new RangeError(`${this.constructor.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    this.numFeatures = numFeatures;
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    this.affine = o.affine ?? true;
    this.trackRunningStats = o.trackRunningStats ?? true;
    if (!(this.eps >= 0)) throw new RangeError(`${this.constructor.name}: eps must be >= 0, got ${this.eps}`);
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1)) {
      throw new RangeError(`${this.constructor.name}: momentum must be in [0, 1] or null, got ${this.momentum}`);
    }
    this.registerParameter('weight', this.affine ? ones([numFeatures]) : null);
    this.registerParameter('bias', this.affine ? zeros([numFeatures]) : null);
    this.registerBuffer('running_mean', this.trackRunningStats ? zeros([numFeatures]) : null);
    this.registerBuffer('running_var', this.trackRunningStats ? ones([numFeatures]) : null);
    this.registerBuffer('num_batches_tracked', this.trackRunningStats ? tensor(0, { dtype: 'int64' }) : null);
  }

  /**
   * Synchronised BatchNorm (torch.nn.SyncBatchNorm): in training, the batch statistics are over
   * every rank's batch, summed by this differentiable sum across ranks (null: this rank's batch).
   */
  syncSum: ((t: Tensor) => Tensor) | null = null;

  get weight(): Tensor | null {
    return this.getParameter('weight');
  }
  get bias(): Tensor | null {
    return this.getParameter('bias');
  }
  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }
  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }
  get numBatchesTracked(): Tensor | null {
    return this.getBuffer('num_batches_tracked');
  }

  /** Running statistics back to mean 0, variance 1, count 0. */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
  }

  protected abstract checkInput(input: Tensor): void;

  forward(input: Tensor): Tensor {
    this.checkInput(input);
    if (input.shape[1] !== this.numFeatures) {
      throw new Error(`${this.constructor.name}(${this.numFeatures}): expected ${this.numFeatures} channels in dim 1, got [${input.shape.join(', ')}]`);
    }
    let factor = this.momentum ?? 0;
    const count = this.numBatchesTracked;
    if (this.training && this.trackRunningStats && count !== null) {
      noGrad(() => count.add_(1));
      if (this.momentum === null) factor = 1 / count.item();
    }
    if (this.training && this.syncSum) return this.#synced(input, factor, this.syncSum);
    // Batch statistics in training, or always when there are no running ones.
    const useBatch = this.training || (this.runningMean === null && this.runningVar === null);
    const track = !this.training || this.trackRunningStats;
    return F.batchNorm(input, track ? this.runningMean : null, track ? this.runningVar : null, {
      weight: this.weight,
      bias: this.bias,
      training: useBatch,
      momentum: factor,
      eps: this.eps,
    });
  }

  /**
   * Training with statistics over every rank's batch: the mean from one sum across ranks, then
   * the (biased) variance from a second one of the squared deviations from it (two passes, as
   * stable as one process's); the running variance takes the unbiased one, as PyTorch.
   */
  #synced(input: Tensor, factor: number, syncSum: (t: Tensor) => Tensor): Tensor {
    const c = this.numFeatures;
    const dims = input.ndim === 2 ? [0] : input.ndim === 3 ? [0, 2] : [0, 2, 3];
    const shape = [1, c, ...Array(input.ndim - 2).fill(1)];
    const sums = syncSum(cat([input.sum(dims), tensor([input.numel() / c])]));
    const n = sums.narrow(0, c, 1).item();
    const mean = sums.narrow(0, 0, c).div(n);
    const centered = input.sub(mean.view(shape));
    const variance = syncSum(centered.square().sum(dims)).div(n);
    let y = centered.mul(variance.add(this.eps).rsqrt().view(shape));
    if (this.weight && this.bias) y = y.mul(this.weight.view(shape)).add(this.bias.view(shape));
    const rm = this.runningMean, rv = this.runningVar;
    if (this.trackRunningStats && rm && rv) {
      noGrad(() => {
        rm.mul_(1 - factor).add_(mean.detach().mul(factor));
        rv.mul_(1 - factor).add_(variance.detach().mul((factor * n) / Math.max(1, n - 1)));
      });
    }
    return y;
  }

  extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** input [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNorm {
  protected checkInput(input: Tensor): void {
    if (input.ndim !== 2 && input.ndim !== 3) throw new Error(`BatchNorm1d: expected 2D or 3D input, got [${input.shape.join(', ')}]`);
  }
}

/** input [N, C, H, W]. */
export class BatchNorm2d extends BatchNorm {
  protected checkInput(input: Tensor): void {
    if (input.ndim !== 4) throw new Error(`BatchNorm2d: expected 4D input [N, C, H, W], got [${input.shape.join(', ')}]`);
  }
}

/**
 * Recomputes the running statistics of every BatchNorm in `module` from a pass over `inputs`,
 * as PyTorch's torch.optim.swa_utils.update_bn: statistics reset, then the batches' means and
 * (unbiased) variances averaged with equal weight per batch. Used to give a trunk trained on
 * jigsaw tiles the statistics of full images (docs/pretext.md). Only running statistics
 * change; each input is disposed after its forward pass; the module is left in eval mode.
 * Returns the number of batches seen.
 */
export async function updateBatchNormStats(module: Module, inputs: AsyncIterable<Tensor> | Iterable<Tensor>): Promise<number> {
  const norms = module.modules().filter((m): m is BatchNorm => m instanceof BatchNorm && m.trackRunningStats);
  const momenta = norms.map((m) => m.momentum);
  let batches = 0;
  try {
    for await (const x of inputs) {
      try {
        if (batches === 0) {
          for (const m of norms) {
            m.resetRunningStats();
            m.momentum = null;
          }
          module.train();
        }
        noGrad(() => tidy(() => void module.forward(x)));
        batches++;
      } finally {
        x.dispose();
      }
    }
  } finally {
    norms.forEach((m, i) => (m.momentum = momenta[i]!));
    module.eval();
  }
  if (batches === 0) throw new Error('updateBatchNormStats: no input batches');
  return batches;
}
