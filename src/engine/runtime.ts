// Process-wide engine state: random seed, threads, grad mode, devices, memory report.
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { N } from './native.js';
import { Tensor } from './tensor.js';
import { dtypeCode } from './dtype.js';

/** Seeds libtorch's generators (CPU and CUDA): same seed, same numbers. */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`manualSeed: seed must be a non-negative integer, got ${seed}`);
  N.manualSeed(seed);
}

/**
 * Deterministic mode (PyTorch's torch.use_deterministic_algorithms plus cuDNN's deterministic
 * flag): every op runs a deterministic kernel, and one that has none throws instead of running.
 * On the CPU the kernels selfsup uses are deterministic already (for a given thread count); on
 * CUDA this turns off the atomics-based backward passes (see docs/training.md#reproducibility).
 */
export function setDeterministic(on: boolean): void {
  N.setDeterministic(on);
}
export function isDeterministic(): boolean {
  return N.isDeterministic();
}

/** The CPU generator's state as a uint8 tensor (save it in a checkpoint to resume the exact random stream). */
export function getRngState(): Tensor {
  return new Tensor(N.getRngState());
}
/** Restores a state from getRngState(). */
export function setRngState(state: Tensor): void {
  N.setRngState(state.handle);
}

/** Sets libtorch's intra-op thread count. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  N.setNumThreads(n);
}
export function getNumThreads(): number {
  return N.getNumThreads();
}

/**
 * Gives free native heap memory back to the system (glibc's malloc_trim; a no-op elsewhere).
 * Large tensors freed while several threads allocate can stay in glibc's heaps as free but
 * unusable pieces: extracting features of 60,000 images grew to 3 GiB resident in some runs and
 * stayed at 0.4 GiB in others, by thread timing alone. Long loops call this every few batches
 * (it costs a few ms). Returns true if memory was released.
 */
export function trimNativeHeap(): boolean {
  return N.mallocTrim() as boolean;
}

/** Runs fn with gradient recording off (as torch.no_grad()). */
export function noGrad<T>(fn: () => T): T {
  const prev: boolean = N.isGradEnabled();
  N.setGradEnabled(false);
  try {
    return fn();
  } finally {
    N.setGradEnabled(prev);
  }
}
/**
 * Runs fn under CPU autocast to `dtype` (torch.autocast('cpu', dtype=torch.bfloat16)): matrix
 * products and convolutions run in bfloat16, the ops that need float32's range in float32.
 * For a training step's forward and loss; backward follows the dtypes recorded there.
 */
export function autocast<T>(dtype: 'bfloat16', fn: () => T): T {
  const was = N.autocastEnter(dtypeCode(dtype));
  try {
    return fn();
  } finally {
    N.autocastExit(was);
  }
}

/** The arithmetic of a network's pass: float32, or bfloat16 under CPU autocast. */
export type Precision = 'fp32' | 'bf16';

/** fn under autocast to bfloat16 when `precision` is 'bf16', else fn as it is. */
export function withPrecision<T>(precision: Precision | undefined, fn: () => T): T {
  return precision === 'bf16' ? autocast('bfloat16', fn) : fn();
}

export function isGradEnabled(): boolean {
  return N.isGradEnabled();
}
export function setGradEnabled(on: boolean): void {
  N.setGradEnabled(on);
}

export interface MemoryReport {
  /** Tensor handles alive in JS (not disposed, not yet collected). */
  liveTensors: number;
  /** Bytes of the distinct storages those handles reference. */
  liveBytes: number;
  peakBytes: number;
  liveStorages: number;
  /** V8's total of external memory; the engine adds its CPU tensors' bytes in steps of 256 MiB (GC pressure for undisposed tensors). */
  externalBytes: number;
}
export function memory(): MemoryReport {
  return N.memory();
}

export const cuda = {
  isAvailable: (): boolean => N.cudaDeviceCount() > 0,
  deviceCount: (): number => N.cudaDeviceCount(),
};

export interface BuildInfo {
  torchVersion: string;
  config: string;
  parallel: string;
  cuda: boolean;
  /** Whether the addon itself was compiled with OpenMP (its kernels' at::parallel_for runs on several threads). */
  openmp: boolean;
  /** Rows per block of the fused k-means kernel (native/src/cluster.cc). */
  kmeansBlockRows: number;
}
export function buildInfo(): BuildInfo {
  return N.buildInfo();
}

// libtorch's OpenMP default here is one thread; use every core unless told otherwise. Only on
// the main thread: the thread count is process-wide, and a worker thread that loads the engine
// (the loader's prefetch worker) must not reset a count set since (--threads), which would also
// make the count the main thread computes with depend on which thread got there first.
const envThreads = Number(process.env.SELFSUP_THREADS ?? process.env.OMP_NUM_THREADS ?? 0);
if (isMainThread) N.setNumThreads(envThreads >= 1 ? Math.floor(envThreads) : availableParallelism());
