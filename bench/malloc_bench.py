"""What keeping freed memory in the process (``mcat.inference.keep_freed_memory``) buys, side by side in one run.

    python bench/malloc_bench.py [--resolution 48] [--batch 32] [--eval-batch 64] [--steps 4] [--rounds 3]

glibc's malloc settings are per process, so each measurement runs in a fresh child process, alternating
``glibc`` (the C library's defaults: large blocks mmapped and given back on free) and ``kept`` (what every mcat
process does from its first model on), ``--rounds`` times each. A child times MCAT (input mode ``mask+pose``, the
demo's) on random clips: ``--steps`` training steps (forward, class-weighted loss, backward, AdamW; bf16 autocast
where ``train.precision: auto`` would use it) and ``--steps`` evaluation passes (fp32, no gradients, as
evaluation, the speed test and prediction run). Prints per setting the median clips/s, the minor page faults and
the share of CPU time spent in the kernel, and the ratio kept ÷ glibc.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import torch


def measure(setting: str, resolution: int, batch: int, eval_batch: int, steps: int) -> dict[str, float]:
    """One child's figures under ``setting`` (glibc | kept)."""
    from mcat import inference
    from mcat.models import build

    if setting == "glibc":
        inference.keep_freed_memory = lambda: False  # prepare() below leaves glibc as it is
    device = torch.device("cpu")
    model = inference.prepare(build("mcat", "mask+pose", 11), device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)
    bf16 = inference.trains_bf16("auto", device)
    g = torch.Generator().manual_seed(0)

    def inputs(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        clips = torch.randint(0, 256, (n, 2, 16, resolution, resolution), dtype=torch.uint8, generator=g)
        clips[:, 1] = (clips[:, 1] > 127).to(torch.uint8)
        return clips, torch.rand(n, 16, 13, 3, generator=g)

    train_x, y, eval_x = inputs(batch), torch.randint(0, 11, (batch,), generator=g), inputs(eval_batch)

    def train_step() -> None:
        model.train()
        with inference.autocast(device, bf16):
            loss = torch.nn.functional.cross_entropy(model(*train_x).float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def eval_pass() -> None:
        model.eval()
        with torch.inference_mode():
            model(*eval_x)

    out = {}
    for name, work, clips in (("train", train_step, batch), ("eval", eval_pass, eval_batch)):
        work()  # warm-up
        before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        for _ in range(steps):
            work()
        wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        out[name] = {"clips_per_s": clips * steps / wall, "faults": (after.ru_minflt - before.ru_minflt) / steps,
                     "kernel_share": (after.ru_stime - before.ru_stime) / cpu}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=48)
    parser.add_argument("--batch", type=int, default=32, help="training batch")
    parser.add_argument("--eval-batch", type=int, default=64, help="evaluation batch")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=("glibc", "kept"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = (args.resolution, args.batch, args.eval_batch, args.steps)
    if args.child:
        print(json.dumps(measure(args.child, *sizes)))
        return
    runs: dict[str, list[dict]] = {"glibc": [], "kept": []}
    for _ in range(args.rounds):
        for setting in runs:
            child = subprocess.run([sys.executable, __file__, "--child", setting, "--resolution", str(args.resolution),
                                    "--batch", str(args.batch), "--eval-batch", str(args.eval_batch),
                                    "--steps", str(args.steps)], capture_output=True, text=True, check=True)
            runs[setting].append(json.loads(child.stdout.strip().splitlines()[-1]))
    print(f"MCAT (mask+pose) at {args.resolution} px, {torch.get_num_threads()} threads; median of {args.rounds} "
          f"child processes per setting, alternating; {args.steps} steps each")
    print(f"{'work':<7}{'malloc':<8}{'clips/s':>9}{'x glibc':>9}{'faults/step':>13}{'kernel CPU':>12}")
    for work in ("train", "eval"):
        base = statistics.median(r[work]["clips_per_s"] for r in runs["glibc"])
        for setting, rows in runs.items():
            rate = statistics.median(r[work]["clips_per_s"] for r in rows)
            faults = statistics.median(r[work]["faults"] for r in rows)
            kernel = statistics.median(r[work]["kernel_share"] for r in rows)
            print(f"{work:<7}{setting:<8}{rate:>9.1f}{rate / base:>8.2f}x{faults:>13,.0f}{kernel:>11.0%}")


if __name__ == "__main__":
    main()
