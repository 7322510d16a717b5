#!/usr/bin/python3
"""Times full training steps of convnet_s (or alexnet_s, vgg_s) in PyTorch, for comparison with `selfsup bench step`.

Run with Debian's python3-torch: /usr/bin/python3 bench/reference/step_pytorch.py --batch 128 --threads 2
One step: zero grads (set to None), forward, mean cross-entropy, backward, SGD (lr 0.01, momentum 0.9).
Input: random float32 [B, 1, 32, 32], random int64 labels in [0, 10). Prints one JSON line.
"""
import argparse
import json
import sys
import time

try:
    import torch
    from torch import nn
except ImportError as e:
    sys.exit(f"step_pytorch.py: cannot import torch ({e}); install Debian's python3-torch "
             "(apt-get install python3-torch) and run with /usr/bin/python3")


def convnet_s(classes=10, in_channels=1):
    # [B, 1, 32, 32] -> [B, 32, 16, 16] -> [B, 64, 8, 8] -> [B, 128, 8, 8] -> [B, 128] -> [B, classes]
    return nn.Sequential(
        nn.Conv2d(in_channels, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, classes),
    )


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


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", choices=["convnet_s", "alexnet_s", "vgg_s"], default="convnet_s")
    p.add_argument("--batch", type=positive("--batch"), default=128)
    p.add_argument("--steps", type=positive("--steps"), default=30)
    p.add_argument("--warmup", type=positive("--warmup", 0), default=5)
    p.add_argument("--threads", type=positive("--threads"), default=torch.get_num_threads())
    p.add_argument("--channels-last", action="store_true", help="NHWC layout for input and conv weights")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.arch == "convnet_s":
        model = convnet_s()
    else:
        # The zoo's 32 px nets as in src/models (pretext_pytorch.py holds them).
        from pretext_pytorch import ZooNet
        model = ZooNet(a.arch, 1, 10)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(a.batch, 1, 32, 32).contiguous(memory_format=fmt)
    y = torch.randint(0, 10, (a.batch,), dtype=torch.int64)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    ms = (time.perf_counter() - t0) * 1000 / a.steps
    print(json.dumps({
        "impl": "pytorch", "arch": a.arch, "batch": a.batch, "threads": torch.get_num_threads(),
        "steps": a.steps, "channelsLast": a.channels_last, "msPerStep": round(ms, 3),
        "imagesPerSec": round(a.batch * 1000 / ms, 1), "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
