// The timed part of every step benchmark.
import { tidy, F, type Tensor } from '../engine/index.js';
import type { Optimizer } from '../optim/index.js';

/**
 * Runs `warmup` untimed then `steps` timed training steps, each: (input, target) = batch(),
 * cross-entropy of model(input), backward, optimiser step; returns milliseconds per timed step.
 */
export function msPerTrainingStep(forward: (x: Tensor) => Tensor, opt: Optimizer<any>, batch: () => { x: Tensor; y: Tensor }, warmup: number, steps: number): number {
  const step = () =>
    tidy(() => {
      const { x, y } = batch();
      const loss = tidy(() => F.crossEntropy(forward(x), y)); // as the trainer: intermediates freed during backward
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  for (let i = 0; i < warmup; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  return (performance.now() - t0) / steps;
}
