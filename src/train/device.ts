// The device a run trains on: checked once, then applied to the model and to every batch.
import { resolveDevice, type Device, type DeviceName } from '../engine/index.js';
import type { Module } from '../nn/index.js';
import type { Batch } from '../data/loader/index.js';

/** A --device value; resolveDevice (in the engine, for every stage) checks it. */
export type TrainDevice = DeviceName;
export { resolveDevice };

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
