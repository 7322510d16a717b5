// The safetensors key names load into PyTorch's module (the alexnet_s class of docs/export.md,
// strict: every key and shape) and PyTorch then computes selfsup's logits. Skipped when
// PyTorch is absent (Debian python3-torch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { manualSeed, tidy, type Tensor } from '../../src/engine/index.js';
import { saveSafetensors, writeNpy } from '../../src/io/index.js';
import { buildZooNet } from '../../src/models/index.js';
import { pytorchKey } from '../../src/export/index.js';
import { tempFolders } from '../helpers/tmp.js';
import { assertRelClose, images, perturbBatchNorm, values } from './ort.js';

const PYTHON = '/usr/bin/python3';
const skip = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0 ? false : `PyTorch is absent (${PYTHON} -c 'import torch' failed)`;

// docs/export.md's AlexNetS; the safetensors read with json + numpy (the safetensors package may be absent).
const SCRIPT = `
import json, sys, struct, numpy as np, torch, torch.nn as nn
def conv(cin, cout, k, p):
    return [nn.Conv2d(cin, cout, k, padding=p), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
pool = lambda: nn.MaxPool2d(3, stride=2, padding=1)
class AlexNetS(nn.Module):
    def __init__(self, in_channels=1, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(*conv(in_channels, 32, 5, 2), pool(), *conv(32, 64, 5, 2), pool(),
                                      *conv(64, 96, 3, 1), *conv(96, 96, 3, 1), *conv(96, 64, 3, 1), pool())
        self.avgpool = nn.AdaptiveAvgPool2d(2)
        self.classifier = nn.Sequential(nn.Linear(256, 512), nn.ReLU(inplace=True), nn.Dropout(0.5),
                                        nn.Linear(512, 512), nn.ReLU(inplace=True), nn.Linear(512, num_classes))
    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))
def load_file(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    h = json.loads(b[8:8 + n]); h.pop('__metadata__', None)
    dt = {'F32': np.float32, 'I64': np.int64}
    return {k: torch.from_numpy(np.frombuffer(b, dt[v['dtype']], int(np.prod(v['shape'])), 8 + n + v['data_offsets'][0]).reshape(v['shape']).copy()) for k, v in h.items()}
m = AlexNetS()
m.load_state_dict(load_file(sys.argv[1]))
m.eval()
with torch.no_grad():
    y = m(torch.from_numpy(np.load(sys.argv[2])))
print(json.dumps(y.flatten().tolist()))
`;

test("alexnet_s's weights under PyTorch's names load strictly into the PyTorch module, which computes the same logits", { skip }, () => {
  const dir = tempFolders('export-pytorch')('w');
  manualSeed(6);
  const net = buildZooNet('alexnet_s', 10, 1);
  const x = images([3, 1, 32, 32], 9);
  try {
    perturbBatchNorm(net);
    net.eval();
    tidy(() => {
      const renamed = new Map<string, Tensor>([...net.stateDict()].map(([k, t]) => [pytorchKey('alexnet_s', k), t]));
      saveSafetensors(join(dir, 'w.safetensors'), renamed);
    });
    writeNpy(join(dir, 'x.npy'), x.data, [3, 1, 32, 32]);
    const r = spawnSync(PYTHON, ['-c', SCRIPT, join(dir, 'w.safetensors'), join(dir, 'x.npy')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as number[];
    assertRelClose(got, values(() => net.forward(x.t)), 1e-4, 'PyTorch logits');
  } finally {
    x.t.dispose();
    net.dispose();
  }
});
