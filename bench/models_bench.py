"""Training throughput of every model, and of each speed switch torch offers, measured side by side in one run.

    python bench/models_bench.py [--resolution 112] [--batch 32] [--steps 3] [--device auto] [--models mcat,tcn]
                                 [--switches eager,channels_last,relu_before_pool,fused_adamw,bf16,compile]

One training step = forward + class-weighted cross-entropy + backward + AdamW, on random uint8 clips
[batch, 2, 16, R, R] (input mode ``both``). Per model and switch: clips/s, the ratio to the eager step of the
same model in the same run, FLOPs per clip (forward+backward, counted by torch's FlopCounterMode) and model
FLOP utilisation = achieved FLOP/s ÷ the FLOP/s of a large matmul of the same dtype measured in the same run
(fp32 against fp32, bf16 against bf16): the best of the matmul timings taken so far, before the first round and
after every round, so that a moment when the machine runs slow does not inflate MFU (a shared VM's matmul rate
varies by more than half from minute to minute; the range is printed). The switches, each on top of
``channels_last`` but ``eager``:

- ``eager``: the model as built (NCHW), fp32, AdamW's default implementation.
- ``channels_last``: convolution weights (and so activations) in NHWC, what ``mcat train`` uses.
- ``relu_before_pool``: ``channels_last`` with the encoders' blocks in the paper's Conv-BN-ReLU-MaxPool order
  (:func:`mcat.models.encoder.in_the_papers_order`; what training ran before the ReLU moved after the max-pool, the
  same function to the bit).
- ``fused_adamw``: AdamW(fused=True).
- ``bf16``: bf16 autocast (what training uses on CUDA and on CPUs with AVX-512 BF16 or AMX: ``train.precision``);
  on a CPU without them it is emulated.
- ``compile``: ``torch.compile`` of the model; its compile time is printed beside it.

Every switch runs in this one process with freed memory kept, as in every mcat process
(:func:`mcat.inference.keep_freed_memory`, a process-wide setting; ``bench/malloc_bench.py`` measures what it buys).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from mcat.inference import keep_freed_memory, prepare
from mcat.models import MODELS, build
from mcat.models.encoder import in_the_papers_order

SWITCHES = ("eager", "channels_last", "relu_before_pool", "fused_adamw", "bf16", "compile")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_flops_per_second(device: torch.device, dtype: torch.dtype) -> float:
    """The best of five timings of a 2048 x 2048 matmul (512 x 512 where the dtype is emulated: a 512 one takes
    over 10 ms)."""
    best, n = float("inf"), 512
    while True:
        a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
        a @ b
        for _ in range(5):
            sync(device)
            start = time.perf_counter()
            a @ b
            sync(device)
            best = min(best, time.perf_counter() - start)
        if n == 2048 or best > 0.01:
            return 2 * n ** 3 / best
        n, best = 2048, float("inf")


def clips(batch: int, resolution: int, device: torch.device) -> torch.Tensor:
    x = torch.randint(0, 256, (batch, 2, 16, resolution, resolution), dtype=torch.uint8, device=device)
    x[:, 1] = (x[:, 1] > 127).to(torch.uint8)
    return x


def flops_per_clip(name: str, resolution: int) -> float:
    model = build(name, "both", 11)
    x, y = clips(2, resolution, torch.device("cpu")), torch.zeros(2, dtype=torch.long)
    counter = FlopCounterMode(display=False)
    with counter:
        torch.nn.functional.cross_entropy(model(x), y).backward()
    return counter.get_total_flops() / 2


def stepper(name: str, switch: str, device: torch.device, x: torch.Tensor, y: torch.Tensor):
    """A function running one training step of a fresh ``name`` model under ``switch``."""
    torch.manual_seed(0)
    model = build(name, "both", 11)
    if switch == "relu_before_pool":
        in_the_papers_order(model)
    model = model.to(device) if switch == "eager" else prepare(model, device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, fused=True if switch == "fused_adamw" else None)
    forward = torch.compile(model) if switch == "compile" else model
    bf16 = switch == "bf16" or (device.type == "cuda" and switch != "eager")

    def step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = torch.nn.functional.cross_entropy(forward(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step, bf16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=112)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=2, help="timed steps per model, switch and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the switches; each reports its median")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated model names")
    parser.add_argument("--switches", default="eager,channels_last",
                        help=f"comma-separated, from {','.join(SWITCHES)} (or 'all')")
    args = parser.parse_args()
    switches = SWITCHES if args.switches == "all" else tuple(args.switches.split(","))
    if unknown := set(switches) - set(SWITCHES):
        parser.error(f"unknown switch {', '.join(sorted(unknown))}: choose from {', '.join(SWITCHES)}")
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    keep_freed_memory()  # before any switch, so that all run alike
    matmul = {kind: [matmul_flops_per_second(device, dtype)] for kind, dtype in DTYPES.items()}
    capability = torch.cuda.get_device_name() if device.type == "cuda" else torch.backends.cpu.get_cpu_capability()
    print(f"device {device} ({capability}, {torch.get_num_threads()} threads), torch {torch.__version__}")
    print(f"{args.resolution}x{args.resolution}, T=16, batch {args.batch}; median of {args.rounds} rounds of "
          f"{args.steps} steps per switch")
    print(f"{'model':<12}{'switch':<18}{'params':>8}{'GFLOP/clip':>11}{'clips/s':>9}{'x eager':>9}{'GFLOP/s':>9}"
          f"{'MFU':>7}  note")
    x, y = clips(args.batch, args.resolution, device), torch.randint(0, 11, (args.batch,), device=device)
    for name in args.models.split(","):
        flops = flops_per_clip(name, args.resolution)
        params = sum(p.numel() for p in build(name, "both", 11).parameters())
        steps, first = {}, {}
        for switch in switches:  # built and warmed up (compiled) first, then timed in rounds, side by side
            steps[switch], bf16 = stepper(name, switch, device, x, y)
            start = time.perf_counter()
            steps[switch]()
            sync(device)
            first[switch] = (time.perf_counter() - start, bf16)
        rates: dict[str, list[float]] = {switch: [] for switch in switches}
        for _ in range(args.rounds):
            for switch in switches:
                start = time.perf_counter()
                for _ in range(args.steps):
                    steps[switch]()
                sync(device)
                rates[switch].append(args.batch * args.steps / (time.perf_counter() - start))
            for kind, timings in matmul.items():
                timings.append(matmul_flops_per_second(device, DTYPES[kind]))
        eager = statistics.median(rates["eager"]) if "eager" in rates else None
        for switch in switches:
            rate, (seconds, bf16) = statistics.median(rates[switch]), first[switch]
            ratio = f"{rate / eager:>8.2f}x" if eager else f"{'-':>9}"
            note = f"first step {seconds:.0f} s (compiling)" if switch == "compile" else ("bf16" if bf16 else "fp32")
            mfu = rate * flops / max(matmul["bf16" if bf16 else "fp32"])
            print(f"{name:<12}{switch:<18}{params / 1e6:>7.2f}M{flops / 1e9:>11.2f}{rate:>9.1f}{ratio}"
                  f"{rate * flops / 1e9:>9.1f}{mfu:>7.1%}  {note}", flush=True)
    print("matmul GFLOP/s (MFU is against the best), " + ", ".join(
        f"{kind}: best {max(t) / 1e9:.1f}, worst {min(t) / 1e9:.1f} over {len(t)} timings"
        for kind, t in matmul.items()))


if __name__ == "__main__":
    main()
