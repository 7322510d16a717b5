#!/usr/bin/python3
"""Times feature extraction in PyTorch and HOG in scikit-image, for comparison with selfsup's feature sources.

Run with Debian's python3-torch / python3-skimage:
  /usr/bin/python3 bench/reference/features_pytorch.py net --arch alexnet_s --batch 256 --threads 2
  /usr/bin/python3 bench/reference/features_pytorch.py hog --count 2048 --cell 8 --block 3

net: a random alexnet_s / vgg_s trunk (the networks of src/models, defined in pretext_pytorch.py)
in eval mode under no_grad, on a fixed random batch [B, C, H, W] on [0, 1]: per-channel
normalisation, the trunk up to its conv5 tap (the last conv's ReLU, before the last pool),
adaptive average pooling when asked, flatten, values copied out as a numpy array (float32; with
--precision bf16 the trunk runs under torch.autocast('cpu', dtype=torch.bfloat16)).
hog: skimage.feature.hog on each image in a Python loop, as users call it (float32 images on
[0, 1]; channel_axis=-1 for colour). Prints one JSON line.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as e:
    sys.exit(f"features_pytorch.py: cannot import torch ({e}); install Debian's python3-torch and run with /usr/bin/python3")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pretext_pytorch import alexnet_s_trunk, vgg_s_trunk  # noqa: E402


def positive(name, minimum=1):
    def parse(s):
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got '{s}'")
        if v < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be >= {minimum}, got {v}")
        return v
    return parse


def pool_layer(spec):
    if spec == 'none':
        return nn.Identity()
    if spec == 'global':
        return nn.AdaptiveAvgPool2d(1)
    h, _, w = spec.partition('x')
    return nn.AdaptiveAvgPool2d((int(h), int(w or h)))


def bench_net(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    trunk, _, _ = {'alexnet_s': alexnet_s_trunk, 'vgg_s': vgg_s_trunk}[a.arch](a.channels)
    conv5 = trunk[:-1]  # drop the last max pool: the conv5 tap is the last ReLU's output
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    conv5 = conv5.to(memory_format=fmt).eval()
    pool = pool_layer(a.pool)
    mean = torch.full((1, a.channels, 1, 1), 0.3)
    std = torch.full((1, a.channels, 1, 1), 0.25)
    x = torch.rand(a.batch, a.channels, a.size, a.size)

    bf16 = a.precision == 'bf16'

    def extract():
        with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            inp = ((x - mean) / std).contiguous(memory_format=fmt)
            return torch.flatten(pool(conv5(inp)), 1).contiguous().float().numpy()

    dim = extract().shape[1]
    for _ in range(a.warmup):
        extract()
    t0 = time.perf_counter()
    for _ in range(a.batches):
        extract()
    ms = (time.perf_counter() - t0) * 1000 / a.batches
    return {"impl": "pytorch", "what": "net", "arch": a.arch, "layer": "conv5", "pool": a.pool, "batch": a.batch,
            "channels": a.channels, "size": a.size, "threads": torch.get_num_threads(), "channelsLast": a.channels_last,
            "precision": a.precision,
            "dim": dim, "msPerBatch": round(ms, 3), "imagesPerSec": round(a.batch * 1000 / ms, 1), "torch": torch.__version__}


def bench_hog(a):
    import skimage
    from skimage.feature import hog
    rng = np.random.default_rng(0)
    images = rng.random((a.count, a.size, a.size, a.channels), dtype=np.float32)
    kw = dict(orientations=a.orientations, pixels_per_cell=(a.cell, a.cell), cells_per_block=(a.block, a.block))
    if a.channels > 1:
        kw['channel_axis'] = -1
    ims = [im if a.channels > 1 else im[:, :, 0] for im in images]
    dim = hog(ims[0], **kw).size
    for im in ims[:a.warmup]:
        hog(im, **kw)
    t0 = time.perf_counter()
    for im in ims:
        hog(im, **kw)
    s = time.perf_counter() - t0
    return {"impl": "skimage", "what": "hog", "count": a.count, "channels": a.channels, "size": a.size,
            "orientations": a.orientations, "cell": a.cell, "block": a.block, "dim": int(dim),
            "msPerImage": round(s * 1000 / a.count, 4), "imagesPerSec": round(a.count / s, 1), "skimage": skimage.__version__}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest='what', required=True)
    n = sub.add_parser('net', help='a random trunk to its conv5 tap')
    n.add_argument('--arch', choices=['alexnet_s', 'vgg_s'], default='alexnet_s')
    n.add_argument('--batch', type=positive('--batch'), default=256)
    n.add_argument('--batches', type=positive('--batches'), default=10)
    n.add_argument('--warmup', type=positive('--warmup', 0), default=2)
    n.add_argument('--threads', type=positive('--threads'), default=torch.get_num_threads())
    n.add_argument('--channels', type=positive('--channels'), default=1)
    n.add_argument('--size', type=positive('--size'), default=32)
    n.add_argument('--pool', default='none', help="'none', 'global' or HxW")
    n.add_argument('--channels-last', action='store_true')
    n.add_argument('--precision', choices=['fp32', 'bf16'], default='fp32')
    h = sub.add_parser('hog', help='skimage.feature.hog per image')
    h.add_argument('--count', type=positive('--count'), default=2048)
    h.add_argument('--warmup', type=positive('--warmup', 0), default=20)
    h.add_argument('--channels', type=positive('--channels'), default=1)
    h.add_argument('--size', type=positive('--size'), default=32)
    h.add_argument('--orientations', type=positive('--orientations'), default=9)
    h.add_argument('--cell', type=positive('--cell'), default=8)
    h.add_argument('--block', type=positive('--block'), default=3)
    a = p.parse_args()
    print(json.dumps(bench_net(a) if a.what == 'net' else bench_hog(a)))


if __name__ == "__main__":
    main()
