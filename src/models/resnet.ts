// ResNet-18 (He et al. 2016) in torchvision's layout: conv1 7x7/2 64, bn1, relu, maxpool
// 3/2 pad 1, layer1..layer4 of two BasicBlocks each (64, 128, 256, 512 channels; layers 2-4
// halve the size), then the head: global average pool, fc. At 224 px: conv1 112, layer1 56,
// layer2 28, layer3 14, layer4 7. Taps conv1 (after relu) and layer1..layer4.
import type { Tensor } from '../engine/index.js';
import * as nn from '../nn/index.js';
import { Trunk, ZooNet } from './zoo_net.js';

/** relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); the shortcut is a 1x1 conv + BN when the shape changes. */
export class BasicBlock extends nn.Module {
  constructor(cin: number, cout: number, stride: number) {
    super();
    this.registerModule('conv1', new nn.Conv2d(cin, cout, 3, { stride, padding: 1, bias: false }));
    this.registerModule('bn1', new nn.BatchNorm2d(cout));
    this.registerModule('conv2', new nn.Conv2d(cout, cout, 3, { padding: 1, bias: false }));
    this.registerModule('bn2', new nn.BatchNorm2d(cout));
    const down = stride !== 1 || cin !== cout;
    this.registerModule('downsample', down ? new nn.Sequential(new nn.Conv2d(cin, cout, 1, { stride, bias: false }), new nn.BatchNorm2d(cout)) : null);
  }
  forward(x: Tensor): Tensor {
    const m = (n: string) => this.getModule(n)!;
    let out = m('bn1').forward(m('conv1').forward(x)).relu_();
    out = m('bn2').forward(m('conv2').forward(out));
    const down = this.getModule('downsample');
    return out.add_(down === null ? x : down.forward(x)).relu_();
  }
}

export function resnet18(numClasses = 1000, inChannels = 3): ZooNet {
  const layer = (cin: number, cout: number, stride: number) => new nn.Sequential(new BasicBlock(cin, cout, stride), new BasicBlock(cout, cout, 1));
  const trunk = new Trunk(
    [
      ['conv1', new nn.Conv2d(inChannels, 64, 7, { stride: 2, padding: 3, bias: false })],
      ['bn1', new nn.BatchNorm2d(64)],
      ['relu', new nn.ReLU({ inplace: true })],
      ['maxpool', new nn.MaxPool2d(3, { stride: 2, padding: 1 })],
      ['layer1', layer(64, 64, 1)],
      ['layer2', layer(64, 128, 2)],
      ['layer3', layer(128, 256, 2)],
      ['layer4', layer(256, 512, 2)],
    ],
    { conv1: 'relu', layer1: 'layer1', layer2: 'layer2', layer3: 'layer3', layer4: 'layer4' },
  );
  // torchvision's init: convs kaiming-normal (fan out, relu); BN weight 1, bias 0 (the default).
  for (const m of trunk.modules()) if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight, { mode: 'fanOut', nonlinearity: 'relu' });
  return new ZooNet(trunk, 512, { pool: 1, hidden: [] }, numClasses);
}
