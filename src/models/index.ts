// The model zoo: architectures by name.
import type { Module } from '../nn/index.js';
import { convnetS } from './convnet_s.js';

export interface ArchInfo {
  /** Builds the network for numClasses outputs and inChannels input channels. */
  build(numClasses: number, inChannels: number): Module;
  /** The input size [H, W] the network is meant for. */
  inputSize: [number, number];
  description: string;
}

export const ARCHS: Record<string, ArchInfo> = {
  convnet_s: { build: convnetS, inputSize: [32, 32], description: 'small CNN for 32 px input (3 conv + BN, global pool, linear)' },
};

export function getArch(name: string): ArchInfo {
  const a = ARCHS[name];
  if (!a) throw new Error(`unknown arch '${name}'; available: ${Object.keys(ARCHS).join(', ')}`);
  return a;
}

export { convnetS };
