// AlexNet (Krizhevsky et al. 2012): alexnet_s, its pattern scaled to 32 px input, and the
// full-size 224 px network in torchvision's layout (BN optional).
import { NumberedTrunk, ZooNet } from './zoo_net.js';
import * as nn from '../nn/index.js';

/**
 * alexnet_s for 32 px (and ~9 px jigsaw tiles). Spatial sizes at 32 px / 9 px:
 * conv1 32/9 -> pool 16/5 -> conv2 16/5 -> pool 8/3 -> conv3..5 8/3 -> pool 4/2.
 * The head pools adaptively to 2x2: a 9 px tile's final map is exactly 2x2 (nothing is
 * duplicated), and at 32 px each output averages a 2x2 window of the 4x4 map.
 * Head: flatten (64*2*2 = 256) -> fc 512 -> ReLU -> dropout 0.5 -> fc 512 -> ReLU -> fc classes.
 */
export function alexnetS(numClasses = 10, inChannels = 3): ZooNet {
  const t = new NumberedTrunk(inChannels);
  const pool = () => new nn.MaxPool2d(3, { stride: 2, padding: 1 });
  t.conv(32, 5, { padding: 2, bn: true, taps: ['conv1'] }).add(pool());
  t.conv(64, 5, { padding: 2, bn: true, taps: ['conv2'] }).add(pool());
  t.conv(96, 3, { padding: 1, bn: true, taps: ['conv3'] });
  t.conv(96, 3, { padding: 1, bn: true, taps: ['conv4'] });
  t.conv(64, 3, { padding: 1, bn: true, taps: ['conv5'] }).add(pool());
  return new ZooNet(t.build(), 64, { pool: 2, hidden: [512, 512], dropout: { p: 0.5, where: 'after', layers: [0] } }, numClasses);
}

/**
 * Full-size AlexNet for 224 px, torchvision's layout: conv 11x11/4 64, pool 3/2; conv 5x5 192,
 * pool; conv 3x3 384, 256, 256, pool (224 px -> 55, 27, 27, 13, 13, 6); adaptive pool 6x6;
 * dropout, fc 4096, ReLU, dropout, fc 4096, ReLU, fc classes. With bn, a BatchNorm2d after
 * every conv. Taps conv1..conv5.
 */
export function alexnet(numClasses = 1000, inChannels = 3, o: { bn?: boolean } = {}): ZooNet {
  const bn = o.bn ?? false;
  const t = new NumberedTrunk(inChannels);
  const pool = () => new nn.MaxPool2d(3, { stride: 2 });
  t.conv(64, 11, { stride: 4, padding: 2, bn, taps: ['conv1'] }).add(pool());
  t.conv(192, 5, { padding: 2, bn, taps: ['conv2'] }).add(pool());
  t.conv(384, 3, { padding: 1, bn, taps: ['conv3'] });
  t.conv(256, 3, { padding: 1, bn, taps: ['conv4'] });
  t.conv(256, 3, { padding: 1, bn, taps: ['conv5'] }).add(pool());
  return new ZooNet(t.build(), 256, { pool: 6, hidden: [4096, 4096], dropout: { p: 0.5, where: 'before', layers: [0, 1] } }, numClasses);
}
