#!/usr/bin/python3
"""Times jigsaw++ training steps under PyTorch DistributedDataParallel (Gloo), for bench/distributed.ts.

Run as each rank with torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) set:
  RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29511 /usr/bin/python3 bench/reference/ddp_pytorch.py --batch 64 --threads 1 &
  RANK=1 ...
The network and puzzles of pretext_pytorch.py; DDP with its defaults (25 MiB buckets, gradients
reduced while backward runs, buffers broadcast from rank 0 before each forward). Then allreduce
alone on one buffer of the gradients' size. Rank 0 prints one JSON line.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

try:
    import torch
    import torch.distributed as dist
    from torch import nn
except ImportError as e:
    sys.exit(f"ddp_pytorch.py: cannot import torch ({e}); install Debian's python3-torch and run with /usr/bin/python3")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pretext_pytorch import CFN, TILES, puzzles  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", choices=["alexnet_s", "vgg_s"], default="alexnet_s")
    p.add_argument("--batch", type=int, default=64, help="images per rank and step")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    rng = np.random.default_rng(rank)
    perms = np.stack([np.random.default_rng(0).permutation(TILES) for _ in range(100)])
    model = nn.parallel.DistributedDataParallel(CFN(a.arch, 1, len(perms)))
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images = torch.randint(0, 256, (a.batch, 1, 32, 32), dtype=torch.uint8)

    def step():
        tiles, labels = puzzles(images.float() / 255, perms, [1 / 3, 1 / 3, 1 / 3], rng)
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(tiles), labels)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    dist.barrier()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    ms = (time.perf_counter() - t0) * 1000 / a.steps
    numel = sum(q.numel() for q in model.parameters())
    buf = torch.zeros(numel)
    for _ in range(3):
        dist.all_reduce(buf)
    dist.barrier()
    t1 = time.perf_counter()
    reps = 20
    for _ in range(reps):
        dist.all_reduce(buf)
    allreduce_ms = (time.perf_counter() - t1) * 1000 / reps
    if rank == 0:
        print(json.dumps({
            "impl": "pytorch-ddp", "world": world, "batchPerRank": a.batch, "threads": a.threads, "msPerStep": round(ms, 3),
            "imagesPerSec": round(a.batch * world * 1000 / ms, 1), "gradientMB": numel * 4 / 1e6,
            "allreduceMs": round(allreduce_ms, 3), "allreduceMBps": round(numel * 4 / 1e3 / allreduce_ms, 1), "torch": torch.__version__,
        }))
    # destroy_process_group() hung on rank 0 here (torch 1.13): a barrier, then leave.
    dist.barrier()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
