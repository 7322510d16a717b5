// Gradient clipping by total norm, as torch.nn.utils.clip_grad_norm_.
import { type Tensor, noGrad, tidy, stack } from '../engine/index.js';

/**
 * Scales the gradients of `parameters` in place so that their total norm (the normType-norm
 * of all gradients joined into one vector; Infinity for the max-abs norm) is at most maxNorm:
 * each gradient is multiplied by min(1, maxNorm / (total + 1e-6)). Parameters without a
 * gradient are skipped. Returns the total norm before clipping, as a number.
 */
export function clipGradNorm_(parameters: Tensor | Tensor[], maxNorm: number, normType = 2, o: { errorIfNonfinite?: boolean } = {}): number {
  if (!(maxNorm >= 0)) throw new RangeError(`clipGradNorm_: maxNorm must be >= 0, got ${maxNorm}`);
  if (!(normType > 0)) throw new RangeError(`clipGradNorm_: normType must be positive (or Infinity), got ${normType}`);
  const params = Array.isArray(parameters) ? parameters : [parameters];
  return noGrad(() =>
    tidy(() => {
      const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
      if (grads.length === 0) return 0;
      const norms = grads.map((g) => (normType === Infinity ? g.abs().max() : g.norm(normType)).to('float64'));
      const total = normType === Infinity ? stack(norms).max() : stack(norms).norm(normType);
      const totalNorm = total.item();
      if ((o.errorIfNonfinite ?? false) && !Number.isFinite(totalNorm)) {
        throw new Error(`clipGradNorm_: the total norm of order ${normType} of the gradients is not finite (${totalNorm})`);
      }
      const coef = Math.min(1, maxNorm / (totalNorm + 1e-6));
      if (coef < 1) for (const g of grads) g.mul_(coef);
      return totalNorm;
    }),
  );
}
