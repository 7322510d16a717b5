// The model zoo: architectures by name.
import type { Module } from '../nn/index.js';
import { getRngState, manualSeed, setRngState } from '../engine/index.js';
import { convnetS } from './convnet_s.js';
import { alexnetS, alexnet } from './alexnet.js';
import { vggS, vgg16 } from './vgg.js';
import { resnet18, BasicBlock } from './resnet.js';
import { ZooNet, Trunk, NumberedTrunk, type HeadSpec } from './zoo_net.js';

export interface ArchInfo {
  /** Builds the network for numClasses outputs and inChannels input channels. */
  build(numClasses: number, inChannels: number): Module;
  /** The input size [H, W] the network is meant for. */
  inputSize: [number, number];
  description: string;
  /** Feature tap names of the trunk (empty for nets without a trunk/head split). */
  taps: string[];
  /** Smallest square input side the network accepts (a jigsaw tile must be at least this). */
  minInputSize: number;
}

const VGG_TAPS = [1, 2, 3, 4, 5].flatMap((b) => [...Array.from({ length: b <= 2 ? 2 : 3 }, (_, i) => `conv${b}_${i + 1}`), `conv${b}`]);
const ALEX_TAPS = ['conv1', 'conv2', 'conv3', 'conv4', 'conv5'];

export const ARCHS: Record<string, ArchInfo> = {
  convnet_s: { build: convnetS, inputSize: [32, 32], description: 'small CNN for 32 px input (3 conv + BN, global pool, linear)', taps: [], minInputSize: 4 },
  alexnet_s: {
    build: alexnetS, inputSize: [32, 32], taps: ALEX_TAPS, minInputSize: 1,
    description: "AlexNet's pattern for 32 px input (5 conv + BN, 2x2 adaptive pool, fc 512-512)",
  },
  vgg_s: {
    build: vggS, inputSize: [32, 32], taps: VGG_TAPS, minInputSize: 1,
    description: "VGG16's pattern for 32 px input (13 conv + BN, widths 16-128, ceil-mode pools, fc 512-512)",
  },
  alexnet: {
    build: (c, ch) => alexnet(c, ch), inputSize: [224, 224], taps: ALEX_TAPS, minInputSize: 63,
    description: "full-size AlexNet for 224 px (torchvision's layout, no BN)",
  },
  alexnet_bn: {
    build: (c, ch) => alexnet(c, ch, { bn: true }), inputSize: [224, 224], taps: ALEX_TAPS, minInputSize: 63,
    description: "full-size AlexNet for 224 px with BN after every conv",
  },
  vgg16: {
    build: (c, ch) => vgg16(c, ch), inputSize: [224, 224], taps: VGG_TAPS, minInputSize: 32,
    description: "full-size VGG16 with BN for 224 px (torchvision's vgg16_bn)",
  },
  resnet18: {
    build: resnet18, inputSize: [224, 224], taps: ['conv1', 'layer1', 'layer2', 'layer3', 'layer4'], minInputSize: 1,
    description: "ResNet-18 for 224 px (torchvision's layout)",
  },
};

export function getArch(name: string): ArchInfo {
  const a = ARCHS[name];
  if (!a) throw new Error(`unknown arch '${name}'; available: ${Object.keys(ARCHS).join(', ')}`);
  return a;
}

/** Builds a zoo arch with a trunk/head split (every arch but convnet_s). */
export function buildZooNet(name: string, numClasses: number, inChannels: number): ZooNet {
  const net = getArch(name).build(numClasses, inChannels);
  if (!(net instanceof ZooNet)) {
    net.dispose();
    throw new Error(`arch '${name}' has no trunk/head split; use one of ${Object.keys(ARCHS).filter((k) => ARCHS[k]!.taps.length > 0).join(', ')}`);
  }
  return net;
}

/**
 * A fresh trunk of a zoo arch (the network built, its head disposed), with what a new head on
 * it needs: the zoo head's pooling and the length of its flattened output.
 */
export function buildTrunkParts(name: string, inChannels: number): { trunk: Trunk; headSpec: HeadSpec; flatFeatures: number } {
  const net = buildZooNet(name, 1, inChannels);
  const parts = { trunk: net.trunk, headSpec: net.headSpec, flatFeatures: net.flatFeatures };
  net.head.dispose();
  return parts;
}

/** A fresh trunk of a zoo arch. */
export function buildTrunk(name: string, inChannels: number): Trunk {
  return buildTrunkParts(name, inChannels).trunk;
}

/** A fresh trunk initialised from `seed`; libtorch's global random stream is left as it was. */
export function buildSeededTrunk(name: string, inChannels: number, seed: number): Trunk {
  const saved = getRngState();
  try {
    manualSeed(seed);
    return buildTrunk(name, inChannels);
  } finally {
    setRngState(saved);
    saved.dispose();
  }
}

export { convnetS, alexnetS, alexnet, vggS, vgg16, resnet18, BasicBlock, ZooNet, Trunk, NumberedTrunk, type HeadSpec };
