// The device a run trains on: checked once, then applied to the model and to every batch.
import { cuda, buildInfo, type Device } from '../engine/index.js';
import type { Module } from '../nn/index.js';
import type { Batch } from '../data/loader/index.js';

export type TrainDevice = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;

/**
 * 'cpu' or 'cuda:<index>' ('cuda' is 'cuda:0'; 'auto' is cuda:0 when a CUDA device is visible,
 * else cpu); a clear error for a bad name or a missing device.
 */
export function resolveDevice(device: unknown): Device {
  if (typeof device !== 'string' || !/^(auto|cpu|cuda(:\d+)?)$/.test(device)) {
    throw new Error(`device must be 'auto', 'cpu', 'cuda' or 'cuda:<index>' (e.g. 'cuda:1'), got ${JSON.stringify(device)}`);
  }
  if (device === 'auto') return cuda.deviceCount() > 0 ? 'cuda:0' : 'cpu';
  if (device === 'cpu') return device;
  const index = device === 'cuda' ? 0 : Number(device.slice('cuda:'.length));
  const count = cuda.deviceCount();
  if (index < count) return `cuda:${index}`;
  const why = count > 0 ? `there ${count === 1 ? 'is 1 CUDA device' : `are ${count} CUDA devices`} (cuda:0 to cuda:${count - 1})`
    : buildInfo().cuda ? 'no CUDA device is visible' : 'this libtorch build has no CUDA support';
  throw new Error(`device '${device}' is not available: ${why}`);
}

/** Where a module's tensors are (its first parameter or buffer; 'cpu' for none). */
export function moduleDevice(m: Module): Device {
  return (m.parameters()[0] ?? m.buffers()[0])?.device ?? 'cpu';
}

/**
 * The batch with images and labels on `device`. New tensors are made only when they move; they
 * belong to the caller's tidy scope, the batch's own tensors stay the caller's to dispose.
 */
export function batchOn(batch: Batch, device: Device): Batch {
  const move = <T extends Batch['labels']>(t: T): T => (t === null || t.device === device ? t : (t.to(device) as T));
  return { ...batch, images: move(batch.images), labels: move(batch.labels) };
}
