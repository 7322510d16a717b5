#!/usr/bin/python3
"""Times jigsaw / jigsaw++ / rotation / cluster-classification training steps in PyTorch, for comparison with `selfsup bench pretext`.

Run with Debian's python3-torch:
  /usr/bin/python3 bench/reference/pretext_pytorch.py --task jigsaw++ --arch alexnet_s --batch 128 --threads 2
The same networks (alexnet_s / vgg_s trunks of src/models, the context-free network of
src/pretext/cfn.ts) and the same puzzle recipe (src/pretext/jigsaw.ts): 30 px random crop of a
32 px image, 3x3 cells of 10 px, one 9 px tile per cell at a random offset, 100 permutations,
jigsaw++: 0, 1 or 2 tiles (uniformly) from another image of the batch; tiles gathered with one
index_select, each normalised to zero mean and unit variance. Random choices are drawn with
numpy (as selfsup draws them in JS), pixels are moved by torch.
Rotation: the zoo net with 4 outputs on the batch's 4 rotations (torch.rot90). Cluster
classification: the zoo net with K outputs (--clusters) on the batch augmented as
src/transfer/train.ts does (src/data/augment: zero padding 2, one random 32 px window per image,
a horizontal flip with probability 1/2, normalise), fixed random labels.
One step: images (uint8 [B, C, 32, 32], fixed) / 255 -> puzzles / rotations / augmentation ->
forward, mean cross-entropy, backward, SGD (lr 0.01, momentum 0.9). Prints one JSON line.
"""
import argparse
import json
import sys
import time

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as e:
    sys.exit(f"pretext_pytorch.py: cannot import torch ({e}); install Debian's python3-torch and run with /usr/bin/python3")

TILES = 9


def conv(cin, cout, k, pad):
    return [nn.Conv2d(cin, cout, k, padding=pad), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def alexnet_s_trunk(c):
    pool = lambda: nn.MaxPool2d(3, stride=2, padding=1)
    return nn.Sequential(*conv(c, 32, 5, 2), pool(), *conv(32, 64, 5, 2), pool(),
                         *conv(64, 96, 3, 1), *conv(96, 96, 3, 1), *conv(96, 64, 3, 1), pool()), 64, 2


def vgg_s_trunk(c):
    layers, cin = [], c
    for n, w in zip([2, 2, 3, 3, 3], [16, 32, 64, 128, 128]):
        for _ in range(n):
            layers += conv(cin, w, 3, 1)
            cin = w
        layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
    return nn.Sequential(*layers), 128, 1


class CFN(nn.Module):
    def __init__(self, arch, c, perms, tile_features=256, hidden=512):
        super().__init__()
        self.trunk, out, pool = {"alexnet_s": alexnet_s_trunk, "vgg_s": vgg_s_trunk}[arch](c)
        self.tile = nn.Sequential(nn.AdaptiveAvgPool2d(pool), nn.Flatten(), nn.Linear(out * pool * pool, tile_features), nn.ReLU())
        self.classifier = nn.Sequential(nn.Linear(TILES * tile_features, hidden), nn.ReLU(), nn.Linear(hidden, perms))

    def forward(self, tiles):  # [B * 9, C, t, t] -> [B, perms]
        f = self.tile(self.trunk(tiles))
        return self.classifier(f.view(tiles.shape[0] // TILES, -1))


class ZooNet(nn.Module):
    """The zoo net of src/models (alexnet.ts, vgg.ts, zoo_net.ts): trunk, adaptive pool, fc 512,
    ReLU, dropout 0.5, fc 512, ReLU, fc to the classes."""
    def __init__(self, arch, c, classes):
        super().__init__()
        self.trunk, out, pool = {"alexnet_s": alexnet_s_trunk, "vgg_s": vgg_s_trunk}[arch](c)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(pool), nn.Flatten(), nn.Linear(out * pool * pool, 512), nn.ReLU(), nn.Dropout(0.5),
                                  nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, classes))

    def forward(self, x):
        return self.head(self.trunk(x))


def rotations(images):
    """images [B, C, S, S] -> every image at 0, 90, 180, 270 degrees [4B, ...] and labels 0..3 (src/pretext/rotation.ts)."""
    b = images.shape[0]
    x = torch.cat([images if k == 0 else torch.rot90(images, k, (2, 3)) for k in range(4)], 0)
    return x, torch.arange(4).repeat_interleave(b)


def augment(images, rng, padding=2, mean=0.5, std=0.25):
    """images [B, C, S, S] -> a random S x S window of each zero-padded image, flipped with p = 1/2, normalised."""
    b, _, h, w = images.shape
    top = torch.from_numpy(rng.integers(0, 2 * padding + 1, b))
    left = torch.from_numpy(rng.integers(0, 2 * padding + 1, b))
    flip = torch.from_numpy(rng.random(b) < 0.5).view(b, 1, 1, 1)
    windows = nn.functional.pad(images, [padding] * 4).unfold(2, h, 1).unfold(3, w, 1)  # [B, C, 2p+1, 2p+1, h, w]
    x = windows[torch.arange(b), :, top, left]
    return (torch.where(flip, x.flip(3), x) - mean) / std


def puzzles(images, perms, occlusion, rng, crop=30, tile=9):
    """images float [B, C, H, W] -> tiles [B * 9, C, tile, tile], labels [B]."""
    b, c, h, w = images.shape
    cell = crop // 3
    oy = rng.integers(0, h - crop + 1, b)
    ox = rng.integers(0, w - crop + 1, b)
    labels = rng.integers(0, len(perms), b)
    cells = perms[labels]                                    # [B, 9]: slot s holds cell perm[s]
    k = rng.choice(len(occlusion), size=b, p=occlusion)      # tiles from another image
    other = (np.arange(b) + 1 + rng.integers(0, b - 1, b)) % b
    slot_order = np.argsort(rng.random((b, TILES)), axis=1)
    source = np.repeat(np.arange(b)[:, None], TILES, axis=1)
    occluded = np.arange(TILES)[None, :] < k[:, None]
    rows = np.arange(b)[:, None].repeat(TILES, 1)
    source[rows[occluded], slot_order[occluded]] = other[rows[occluded]]
    jy = rng.integers(0, cell - tile + 1, (b, TILES))
    jx = rng.integers(0, cell - tile + 1, (b, TILES))
    y = oy[source] + (cells // 3) * cell + jy
    x = ox[source] + (cells % 3) * cell + jx
    base = ((source[..., None] * c + np.arange(c)) * h + y[..., None]) * w + x[..., None]  # [B, 9, C]
    within = (np.arange(tile)[:, None] * w + np.arange(tile)[None, :]).reshape(-1)
    index = torch.from_numpy((base.reshape(-1, 1) + within[None, :]).reshape(-1))
    t = images.reshape(-1).index_select(0, index).view(b * TILES, -1)
    t = (t - t.mean(1, keepdim=True)) / t.std(1, unbiased=False, keepdim=True).clamp(min=1e-2)
    return t.view(b * TILES, c, tile, tile), torch.from_numpy(labels)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=["jigsaw", "jigsaw++", "rotation", "cluster"], default="jigsaw++")
    p.add_argument("--clusters", type=int, default=100)
    p.add_argument("--arch", choices=["alexnet_s", "vgg_s"], default="alexnet_s")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    perms = np.stack([rng.permutation(TILES) for _ in range(100)])  # the set's content does not change the cost
    occlusion = [1 / 3, 1 / 3, 1 / 3] if a.task == "jigsaw++" else [1.0]
    if a.task in ("rotation", "cluster"):
        model = ZooNet(a.arch, a.channels, 4 if a.task == "rotation" else a.clusters)
    else:
        model = CFN(a.arch, a.channels, len(perms))
    cluster_labels = torch.randint(0, a.clusters, (a.batch,)) if a.task == "cluster" else None
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images = torch.randint(0, 256, (a.batch, a.channels, 32, 32), dtype=torch.uint8)

    def step():
        if a.task == "rotation":
            x, labels = rotations(images.float() / 255)
        elif a.task == "cluster":
            x, labels = augment(images.float() / 255, rng), cluster_labels
        else:
            x, labels = puzzles(images.float() / 255, perms, occlusion, rng)
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    ms = (time.perf_counter() - t0) * 1000 / a.steps
    print(json.dumps({
        "impl": "pytorch", "task": a.task, "arch": a.arch, "batch": a.batch, "threads": torch.get_num_threads(),
        "steps": a.steps, "msPerStep": round(ms, 3), "imagesPerSec": round(a.batch * 1000 / ms, 1),
        "tilesPerSec": round(a.batch * TILES * 1000 / ms, 1), "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
