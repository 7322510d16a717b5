// PyTorch's collectives on engine tensors (torch.distributed.all_reduce, broadcast, barrier,
// all_gather): CPU tensors, in place, every rank calling them in the same order. Without a group
// (one process) each is what it would be for a world of one.
import { wrap, type Tensor } from '../engine/index.js';
import { N } from '../engine/native.js';
import type { ReduceOpCode } from '../engine/native_api.js';
import { collective, worldSize } from './group.js';

export type ReduceOp = 'sum' | 'avg' | 'max' | 'min';
const OPS: Record<ReduceOp, ReduceOpCode> = { sum: 0, avg: 1, max: 2, min: 3 };

/** Every tensor reduced across ranks, in place (average: the sum divided by the world size). */
export function allReduce(tensors: Tensor | Tensor[], op: ReduceOp = 'sum'): void {
  if (worldSize() === 1) return;
  const ts = Array.isArray(tensors) ? tensors : [tensors];
  collective('allReduce', () => N.allReduce(ts.map((t) => t.handle), OPS[op]));
}

/** Default bucket of allReduceCoalesced (PyTorch DDP's bucket_cap_mb is 25 MiB). */
export const DEFAULT_BUCKET_BYTES = 25 << 20;

/**
 * Sums (or averages) many tensors across ranks, in place, packed into buckets of one dtype of
 * up to bucketBytes each: a few large messages instead of one per tensor.
 */
export function allReduceCoalesced(tensors: Tensor[], o: { average?: boolean; bucketBytes?: number } = {}): void {
  if (worldSize() === 1 || tensors.length === 0) return;
  collective('allReduce', () => N.allReduceCoalesced(tensors.map((t) => t.handle), o.bucketBytes ?? DEFAULT_BUCKET_BYTES, o.average ?? false));
}

/** Every tensor takes rank `root`'s values, in place. */
export function broadcast(tensors: Tensor | Tensor[], root = 0): void {
  if (worldSize() === 1) return;
  const ts = Array.isArray(tensors) ? tensors : [tensors];
  collective('broadcast', () => N.broadcast(ts.map((t) => t.handle), root));
}

/**
 * The sum of `t` across ranks as a new tensor, differentiable: its gradient is the sum across
 * ranks of the result's gradient (torch.distributed.nn.functional.all_reduce). One process: t.
 */
export function allReduceWithGrad(t: Tensor): Tensor {
  if (worldSize() === 1) return t;
  return wrap(collective('allReduce (differentiable)', () => N.allReduceSumDifferentiable(t.handle)));
}

/** Returns once every rank has called it. */
export function barrier(): void {
  if (worldSize() === 1) return;
  collective('barrier', () => N.barrier());
}

/** Every rank's tensor (one shape on all ranks), in rank order; new tensors, the caller's. */
export function allGather(t: Tensor): Tensor[] {
  if (worldSize() === 1) return [t.clone()];
  return collective('allGather', () => N.allGather(t.handle)).map(wrap);
}
