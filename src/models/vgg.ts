// VGG16 (Simonyan & Zisserman 2015): vgg_s, its pattern with narrow widths for 32 px input,
// and the full-size 224 px network with batch norm (torchvision's vgg16_bn layout).
import { NumberedTrunk, ZooNet } from './zoo_net.js';
import * as nn from '../nn/index.js';

const BLOCKS = [2, 2, 3, 3, 3];

/** Blocks of 3x3 pad 1 convs (BN, ReLU), a 2x2 max pool after each. Taps convB_I and convB (the block's last). */
function vggTrunk(inChannels: number, widths: number[], o: { bn: boolean; ceilMode: boolean }) {
  const t = new NumberedTrunk(inChannels);
  BLOCKS.forEach((n, b) => {
    for (let i = 1; i <= n; i++) {
      const taps = [`conv${b + 1}_${i}`];
      if (i === n) taps.push(`conv${b + 1}`);
      t.conv(widths[b]!, 3, { padding: 1, bn: o.bn, taps });
    }
    t.add(new nn.MaxPool2d(2, { stride: 2, ceilMode: o.ceilMode }));
  });
  return t.build();
}

/**
 * vgg_s: widths 16, 32, 64, 128, 128; ceil-mode pools so that small inputs keep a pixel:
 * 32 px -> 16, 8, 4, 2, 1 after the pools; a 9 px tile -> 5, 3, 2, 1, 1. The head pools to
 * 1x1 (the map is 1x1 already at 32 px and below) then fc 512 -> ReLU -> dropout 0.5 ->
 * fc 512 -> ReLU -> fc classes, as alexnet_s.
 */
export function vggS(numClasses = 10, inChannels = 3): ZooNet {
  const trunk = vggTrunk(inChannels, [16, 32, 64, 128, 128], { bn: true, ceilMode: true });
  return new ZooNet(trunk, 128, { pool: 1, hidden: [512, 512], dropout: { p: 0.5, where: 'after', layers: [0] } }, numClasses);
}

/**
 * Full-size VGG16 with BN for 224 px (torchvision's vgg16_bn): widths 64, 128, 256, 512, 512,
 * floor-mode pools (224 -> 7), adaptive pool 7x7, fc 4096, ReLU, dropout, fc 4096, ReLU,
 * dropout, fc classes.
 */
export function vgg16(numClasses = 1000, inChannels = 3, o: { bn?: boolean } = {}): ZooNet {
  const trunk = vggTrunk(inChannels, [64, 128, 256, 512, 512], { bn: o.bn ?? true, ceilMode: false });
  const net = new ZooNet(trunk, 512, { pool: 7, hidden: [4096, 4096], dropout: { p: 0.5, where: 'after', layers: [0, 1] } }, numClasses);
  // torchvision's VGG init: convs kaiming-normal (fan out, relu), fc normal(0, 0.01), biases 0.
  for (const m of net.modules()) {
    if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight, { mode: 'fanOut', nonlinearity: 'relu' });
    if (m instanceof nn.Linear) nn.init.normal_(m.weight, 0, 0.01);
    if (m instanceof nn.Conv2d || m instanceof nn.Linear) nn.init.zeros_(m.bias!);
  }
  return net;
}
