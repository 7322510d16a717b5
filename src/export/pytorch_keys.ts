// State-dict keys as PyTorch's matching module names them. Our zoo nets are a `trunk` and a
// `head` (pool, flatten, then the fully connected layers); torchvision's AlexNet and VGG are
// `features`, `avgpool` (no weights) and `classifier` (the fc layers from index 0), its ResNet
// has the trunk's layers at the top level and `fc`. So:
//   alexnet*, vgg*: trunk.N.x -> features.N.x, head.K.x -> classifier.(K-2).x
//   resnet18:       trunk.x -> x, head.2.x -> fc.x
//   convnet_s:      an nn.Sequential already ("0.weight", ...)
import { ExportError } from './lower.js';

/** Layers of our heads before the first fully connected one (the pool and the flatten). */
const HEAD_OFFSET = 2;

/** PyTorch's name for `key` of a zoo net `arch` (a whole network's key, "trunk." or "head." first). */
export function pytorchKey(arch: string, key: string): string {
  if (arch === 'convnet_s') return key;
  const [part, index, ...rest] = key.split('.');
  if (part === 'trunk') return arch === 'resnet18' ? [index, ...rest].join('.') : ['features', index, ...rest].join('.');
  if (part === 'head') {
    const k = Number(index) - HEAD_OFFSET;
    if (!(k >= 0)) throw new ExportError(`${key}: the head's first layers hold no weights`);
    if (arch === 'resnet18') {
      if (k !== 0) throw new ExportError(`${key}: resnet18's head has one fully connected layer`);
      return ['fc', ...rest].join('.');
    }
    return ['classifier', String(k), ...rest].join('.');
  }
  throw new ExportError(`${key}: not a key of a zoo network (trunk.* or head.*)`);
}
