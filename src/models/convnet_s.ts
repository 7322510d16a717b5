// convnet_s: a small CNN for 32x32 input, the engine's reference model for benchmarks
// and the accuracy test. conv 5x5 32 -> BN -> ReLU -> maxpool 2; conv 5x5 64 -> BN -> ReLU ->
// maxpool 2; conv 3x3 128 -> BN -> ReLU -> global average pool; linear to classes.
import * as nn from '../nn/index.js';

export function convnetS(numClasses = 10, inChannels = 1): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(inChannels, 32, 5, { padding: 'same' }),
    new nn.BatchNorm2d(32),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 5, { padding: 'same' }),
    new nn.BatchNorm2d(64),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(64, 128, 3, { padding: 'same' }),
    new nn.BatchNorm2d(128),
    new nn.ReLU(),
    new nn.AdaptiveAvgPool2d(1),
    new nn.Flatten(),
    new nn.Linear(128, numClasses),
  );
}
