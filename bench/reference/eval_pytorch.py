#!/usr/bin/python3
"""The default evaluation of selfsup (linear probes on every tap pooled to about D values and
globally pooled, and a weighted kNN), written independently in PyTorch, for bench/eval.ts.

Run with Debian's python3-torch:
  /usr/bin/python3 bench/reference/eval_pytorch.py --trunk RUN/trunk.safetensors --arch alexnet_s \
      --train CACHE --test CACHE [--input dataset|per-image] [--threads 2]
Reads selfsup's cache format (manifest.json, uint8 shards, labels.i32) and the trunk's
safetensors file with a small reader of its own. Protocol (as src/eval): frozen trunk in eval mode;
for each tap an adaptive average pool to g x g with C*g*g closest to D, and a global pool; each
head = BatchNorm1d(affine=False) + Linear, trained together on features extracted once, SGD
(momentum 0.9, nesterov, weight decay), linear warm-up then cosine over all steps, mini-batches in
one shared random order per epoch; top-1 on the test split. kNN: cosine similarity, the k most
similar training rows vote with weights exp(sim / T). Prints one JSON line.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

try:
    import numpy as np
    import torch
    from torch import nn
    import torch.nn.functional as F
except ImportError as e:
    sys.exit(f"eval_pytorch.py: cannot import torch ({e}); install Debian's python3-torch and run with /usr/bin/python3")


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    dtypes = {'F32': np.float32, 'I64': np.int64, 'F64': np.float64, 'I32': np.int32}
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        out[k] = torch.from_numpy(np.frombuffer(body[a:b], dtype=dtypes[v['dtype']]).reshape(v['shape']).copy())
    return out


def read_cache(d):
    m = json.load(open(os.path.join(d, 'manifest.json')))
    c, h, w = m['shape']
    parts = [np.fromfile(os.path.join(d, s['file']), dtype=np.uint8).reshape(s['count'], c, h, w) for s in m['shards']]
    labels = np.fromfile(os.path.join(d, m['labelsFile']), dtype='<i4')
    return np.concatenate(parts), labels.astype(np.int64), m


def conv(cin, cout, k, pad):
    return [nn.Conv2d(cin, cout, k, padding=pad), nn.BatchNorm2d(cout), nn.ReLU()]


def alexnet_s_trunk(c):
    # The layer order of selfsup's alexnet_s trunk, so that state-dict keys ('0.weight', ...) match.
    pool = lambda: nn.MaxPool2d(3, stride=2, padding=1)
    layers = [*conv(c, 32, 5, 2), pool(), *conv(32, 64, 5, 2), pool(), *conv(64, 96, 3, 1), *conv(96, 96, 3, 1), *conv(96, 64, 3, 1), pool()]
    taps = {'conv1': 2, 'conv2': 6, 'conv3': 10, 'conv4': 13, 'conv5': 16}
    return nn.Sequential(*layers), taps


def grid_for(channels, side, dim):
    return max(1, min(side, round(math.sqrt(dim / channels))))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--trunk', required=True)
    p.add_argument('--arch', default='alexnet_s', choices=['alexnet_s'])
    p.add_argument('--train', required=True)
    p.add_argument('--test', required=True)
    p.add_argument('--input', default='dataset', choices=['dataset', 'per-image'])
    p.add_argument('--dim', type=int, default=2000)
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--batch-size', type=int, default=256)
    p.add_argument('--lr', type=float, default=0.1)
    p.add_argument('--weight-decay', type=float, default=5e-4)
    p.add_argument('--warmup', type=int, default=0, help='linear warm-up steps')
    p.add_argument('--k', type=int, default=20)
    p.add_argument('--temperature', type=float, default=0.07)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    t0 = time.perf_counter()

    xtr, ytr, mtr = read_cache(a.train)
    xte, yte, _ = read_cache(a.test)
    classes = int(max(ytr.max(), yte.max()) + 1)
    trunk, taps = alexnet_s_trunk(xtr.shape[1])
    trunk.load_state_dict(read_safetensors(a.trunk))
    trunk.eval()
    mean = torch.tensor(mtr['mean']).view(1, -1, 1, 1)
    std = torch.tensor(mtr['std']).view(1, -1, 1, 1)

    def prepare(u8):
        x = torch.from_numpy(u8).float().div_(255)
        if a.input == 'dataset':
            return (x - mean) / std
        flat = x.reshape(x.shape[0], -1)
        s = flat.std(1, unbiased=False, keepdim=True).clamp(min=1e-2)
        return ((flat - flat.mean(1, keepdim=True)) / s).view_as(x)

    def maps(x):
        out, last = {}, max(taps.values())
        for i, layer in enumerate(trunk):
            x = layer(x)
            for name, j in taps.items():
                if j == i:
                    out[name] = x
            if i == last:
                break
        return out

    with torch.no_grad():
        probe = maps(prepare(xtr[:1]))
    heads = []
    for name in taps:
        _, c, h, w = probe[name].shape
        g = grid_for(c, min(h, w), a.dim)
        heads.append((name, name, g))
    heads += [(f'{name}:gap', name, 1) for name in taps]

    def extract(u8):
        feats = {h[0]: [] for h in heads}
        with torch.no_grad():
            for s in range(0, len(u8), 256):
                m = maps(prepare(u8[s:s + 256]).contiguous(memory_format=torch.channels_last))
                for name, tap, g in heads:
                    feats[name].append(F.adaptive_avg_pool2d(m[tap], g).flatten(1))
        return {k: torch.cat(v) for k, v in feats.items()}

    ftr, fte = extract(xtr), extract(xte)
    t1 = time.perf_counter()

    ytr_t, yte_t = torch.from_numpy(ytr), torch.from_numpy(yte)
    models = {n: nn.Sequential(nn.BatchNorm1d(ftr[n].shape[1], affine=False), nn.Linear(ftr[n].shape[1], classes)) for n, _, _ in heads}
    params = [q for m in models.values() for q in m.parameters()]
    opt = torch.optim.SGD(params, lr=a.lr, momentum=0.9, nesterov=True, weight_decay=a.weight_decay)
    n = len(ytr)
    per_epoch = math.ceil(n / a.batch_size)
    total = a.epochs * per_epoch

    def rate(step):  # multiplier of lr at a step (0-based): warm-up from 0.1, then cosine to 0
        if step < a.warmup:
            return 0.1 + 0.9 * step / a.warmup
        return 0.5 * (1 + math.cos(math.pi * (step - a.warmup) / max(1, total - a.warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, rate)
    g = torch.Generator().manual_seed(a.seed)
    for m in models.values():
        m.train()
    for _ in range(a.epochs):
        order = torch.randperm(n, generator=g)
        for s in range(0, n, a.batch_size):
            idx = order[s:s + a.batch_size]
            opt.zero_grad(set_to_none=True)
            loss = sum(F.cross_entropy(m(ftr[k][idx]), ytr_t[idx]) for k, m in models.items())
            loss.backward()
            opt.step()
            sched.step()
    results = {}
    with torch.no_grad():
        for k, m in models.items():
            m.eval()
            results[k] = (m(fte[k]).argmax(1) == yte_t).float().mean().item()
    t2 = time.perf_counter()

    bank = F.normalize(ftr['conv5:gap'], dim=1)
    q = F.normalize(fte['conv5:gap'], dim=1)
    correct = 0
    with torch.no_grad():
        for s in range(0, len(q), 1024):
            sim = q[s:s + 1024] @ bank.T
            w, i = sim.topk(a.k, dim=1)
            votes = torch.zeros(len(w), classes).scatter_add_(1, ytr_t[i], (w / a.temperature).exp())
            correct += (votes.argmax(1) == yte_t[s:s + 1024]).sum().item()
    knn = correct / len(q)
    t3 = time.perf_counter()
    print(json.dumps({
        'impl': 'pytorch', 'linear': results, 'knn': {'k': a.k, 'top1': knn},
        'seconds': {'extract': t1 - t0, 'linear': t2 - t1, 'knn': t3 - t2, 'total': t3 - t0},
    }))


if __name__ == '__main__':
    main()
