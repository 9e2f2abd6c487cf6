"""Training throughput of every model, next to this machine's matmul rate, measured in one run.

    python bench/models_bench.py [--resolution 112] [--batch 32] [--steps 3] [--device auto] [--models mcat,tcn]

For each model (input mode ``both``): forward+backward clips/s at the given batch, FLOPs per clip
(forward+backward, counted by torch's FlopCounterMode) and model FLOP utilisation = achieved FLOP/s ÷ the
FLOP/s of a large matmul measured in the same run. On CUDA the step runs under bf16 autocast with
channels_last weights, as training does.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from mcat.models import MODELS, build


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_flops_per_second(device: torch.device, n: int = 2048, repeats: int = 10) -> float:
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    a @ b
    sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    sync(device)
    return 2 * n ** 3 * repeats / (time.perf_counter() - start)


def clips(batch: int, resolution: int, device: torch.device) -> torch.Tensor:
    x = torch.randint(0, 256, (batch, 2, 16, resolution, resolution), dtype=torch.uint8, device=device)
    x[:, 1] = (x[:, 1] > 127).to(torch.uint8)
    return x


def train_step(model, opt, x, y, device) -> None:
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        loss = torch.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def flops_per_clip(name: str, resolution: int) -> float:
    model = build(name, "both", 11)
    x, y = clips(2, resolution, torch.device("cpu")), torch.zeros(2, dtype=torch.long)
    counter = FlopCounterMode(display=False)
    with counter:
        torch.nn.functional.cross_entropy(model(x), y).backward()
    return counter.get_total_flops() / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=112)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per model (after one warm-up step)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated model names")
    args = parser.parse_args()
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    peak = matmul_flops_per_second(device)
    print(f"device {device} ({torch.get_num_threads()} threads), torch {torch.__version__}; "
          f"2048^2 matmul: {peak / 1e9:.0f} GFLOP/s")
    print(f"{'model':<12}{'params':>10}{'GFLOP/clip':>12}{'clips/s':>10}{'GFLOP/s':>10}{'MFU':>8}")
    for name in args.models.split(","):
        torch.manual_seed(0)
        model = build(name, "both", 11).to(device)
        if device.type == "cuda":
            model = model.to(memory_format=torch.channels_last)
        opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
        x, y = clips(args.batch, args.resolution, device), torch.randint(0, 11, (args.batch,), device=device)
        train_step(model, opt, x, y, device)
        sync(device)
        start = time.perf_counter()
        for _ in range(args.steps):
            train_step(model, opt, x, y, device)
        sync(device)
        rate = args.batch * args.steps / (time.perf_counter() - start)
        flops = flops_per_clip(name, args.resolution)
        params = sum(p.numel() for p in model.parameters())
        print(f"{name:<12}{params / 1e6:>9.2f}M{flops / 1e9:>12.2f}{rate:>10.1f}{rate * flops / 1e9:>10.1f}"
              f"{rate * flops / peak:>8.1%}")


if __name__ == "__main__":
    main()
