// Device names as the commands take them ('auto', 'cpu', 'cuda', 'cuda:N'), checked against what
// libtorch sees: every stage resolves its --device with this before it writes anything.
import { cuda, buildInfo } from './runtime.js';
import type { Device } from './tensor.js';

/** A --device value: 'auto', 'cpu', 'cuda' or 'cuda:<index>'. */
export type DeviceName = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;

/** The names resolveDevice accepts (deviceField in src/util/options.ts checks the same). */
const DEVICE_NAME = /^(auto|cpu|cuda(:\d+)?)$/;

/**
 * 'cpu' or 'cuda:<index>' ('cuda' is 'cuda:0'; 'auto' is cuda:0 when a CUDA device is visible,
 * else cpu); a clear error for a bad name or a missing device.
 */
export function resolveDevice(device: unknown): Device {
  if (typeof device !== 'string' || !DEVICE_NAME.test(device)) {
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
