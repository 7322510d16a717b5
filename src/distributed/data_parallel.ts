// Data parallelism as PyTorch's DistributedDataParallel does it, on engine tensors: every rank
// starts from rank 0's parameters and buffers, and after each backward pass the gradients are
// averaged across ranks in buckets, so every rank takes the same optimiser step.
import { noGrad, tidy, zerosLike, tensor, type Tensor } from '../engine/index.js';
import { allReduceCoalesced, broadcast } from './collectives.js';
import { rank, worldSize } from './group.js';
import { allReduce } from './collectives.js';

/** Rank 0's values into every rank's tensors (parameters and buffers), in place. */
export function broadcastFromRankZero(tensors: Tensor[]): void {
  if (worldSize() === 1 || tensors.length === 0) return;
  noGrad(() => broadcast(tensors, 0));
}

/**
 * Averages the gradients of `params` across ranks, in place, bucketBytes at a time (PyTorch
 * DDP's 25 MiB by default). A parameter without a gradient takes part with zeros and keeps none.
 * `votes` (one number per rank, e.g. 1: this rank wants to stop) rides along in the last bucket;
 * returns their sum over ranks (0 without votes).
 */
export function averageGradients(params: Tensor[], o: { bucketBytes?: number; vote?: number } = {}): number {
  if (worldSize() === 1) return o.vote ?? 0;
  return tidy(() => {
    const grads = params.map((p) => p.grad ?? zerosLike(p));
    // Sums, then one division: the vote must stay a sum.
    const vote = tensor(new Float32Array([o.vote ?? 0]));
    allReduceCoalesced([...grads, vote], { bucketBytes: o.bucketBytes });
    noGrad(() => {
      for (const g of grads) g.div_(worldSize());
    });
    return Math.round(vote.item());
  });
}

/** The ranks for which `flag` holds (every rank calls it), ascending; one allreduce of W numbers. */
export function ranksWhere(flag: boolean): number[] {
  if (worldSize() === 1) return flag ? [0] : [];
  return tidy(() => {
    const t = tensor(new Float32Array(worldSize()));
    if (flag) t.narrow(0, rank(), 1).fill_(1);
    allReduce(t, 'sum');
    return Array.from(t.data() as Float32Array).flatMap((v, r) => (v > 0 ? [r] : []));
  });
}
