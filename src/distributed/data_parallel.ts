// Data parallelism as PyTorch's DistributedDataParallel does it, on engine tensors: every rank
// starts from rank 0's parameters and buffers, and during each backward pass the gradients are
// averaged across ranks in buckets (DDP's own c10d::Reducer), so every rank takes the same
// optimiser step.
import { noGrad, tidy, tensor, type Tensor } from '../engine/index.js';
import { N } from '../engine/native.js';
import { broadcast, DEFAULT_BUCKET_BYTES } from './collectives.js';
import { collective, rank, worldSize } from './group.js';
import { allReduce } from './collectives.js';

/** DDP's first bucket (torch.distributed._DEFAULT_FIRST_BUCKET_BYTES): small, so communication starts early. */
export const FIRST_BUCKET_BYTES = 1 << 20;

/**
 * DistributedDataParallel's gradient averaging over `params` (libtorch's c10d::Reducer, as DDP
 * builds it: buckets by size in reverse parameter order, rebuilt after the first step in the
 * order gradients became ready). Each bucket's allreduce starts during backward as soon as its
 * gradients are ready, overlapping the rest of backward; when `backward` returns every rank
 * has the averaged gradients. Every parameter must get a gradient in every step.
 */
export class GradientReducer {
  #id: number;

  constructor(params: Tensor[], o: { bucketBytes?: number } = {}) {
    const cap = o.bucketBytes ?? DEFAULT_BUCKET_BYTES;
    this.#id = collective('building the gradient reducer', () => N.reducerNew(params.map((p) => p.handle), cap, Math.min(cap, FIRST_BUCKET_BYTES)));
  }

  /** loss.backward() with the gradients averaged across ranks when it returns. */
  backward(loss: Tensor): void {
    collective('allReduce (gradients)', () => {
      N.reducerPrepare(this.#id);
      loss.backward();
    });
  }

  dispose(): void {
    N.reducerFree(this.#id);
  }
}

/** Rank 0's values into every rank's tensors (parameters and buffers), in place. */
export function broadcastFromRankZero(tensors: Tensor[]): void {
  if (worldSize() === 1 || tensors.length === 0) return;
  noGrad(() => broadcast(tensors, 0));
}

/**
 * What the ranks say before a step, in one allreduce of W + 1 numbers: the ranks for which `bad`
 * holds (ascending) and how many want to stop (a signal) after it.
 */
export function stepVotes(bad: boolean, stop: boolean): { bad: number[]; stops: number } {
  if (worldSize() === 1) return { bad: bad ? [0] : [], stops: stop ? 1 : 0 };
  return tidy(() => {
    const t = tensor(new Float32Array(worldSize() + 1));
    if (bad) t.narrow(0, rank(), 1).fill_(1);
    if (stop) t.narrow(0, worldSize(), 1).fill_(1);
    allReduce(t, 'sum');
    const v = Array.from(t.data() as Float32Array);
    return { bad: v.slice(0, -1).flatMap((x, r) => (x > 0 ? [r] : [])), stops: Math.round(v.at(-1)!) };
  });
}
