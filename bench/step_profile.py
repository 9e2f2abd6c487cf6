"""Where one MCAT training step spends its time, as `mcat train` runs it (channels_last) and eager (NCHW).

    python bench/step_profile.py [--resolution 48] [--batch 32] [--steps 3]

A step is the training loop's: clip-consistent augmentation (the params.yaml recipe), forward, class-weighted
cross-entropy, backward, AdamW. Augmentation and the optimizer are timed apart; forward + backward are
profiled with torch.profiler and their operators' own time summed per kind (encoders' convolutions; the
batch-norm, ReLU and pooling passes between them; the transformer's attention and linear layers; the rest).
Reading clips from the store is `bench/data_bench.py`'s (thousands of clips/s; not in the step). Both layouts run
with freed memory kept, as in every mcat process (:func:`mcat.inference.keep_freed_memory`).
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.profiler import ProfilerActivity, profile

from mcat.config import load_params
from mcat.inference import keep_freed_memory, prepare
from mcat.models import build
from mcat.train.augment import augment

KINDS = {  # operator name prefixes (aten::...) per kind
    "convolutions (encoders)": ("mkldnn_convolution", "convolution_backward", "_convolution", "conv2d"),
    "batch norm passes": ("native_batch_norm", "batch_norm", "_batch_norm"),
    "ReLU and pooling passes": ("threshold_backward", "relu", "clamp_min", "max_pool2d", "adaptive_avg_pool2d",
                                "mean", "fill_", "zero_"),
    "attention and linear layers": ("mm", "addmm", "bmm", "_softmax", "softmax", "native_layer_norm", "layer_norm",
                                    "_scaled_dot_product", "gelu", "linear", "baddbmm"),
}


def kind_of(op: str) -> str:
    name = op.removeprefix("aten::")
    return next((kind for kind, prefixes in KINDS.items() if name.startswith(prefixes)), "other operators")


def profile_step(resolution: int, batch: int, steps: int, channels_last: bool) -> dict[str, float]:
    """Milliseconds per step of each part."""
    params = load_params("params.yaml").train
    torch.manual_seed(0)
    model = build("mcat", "both", 11)
    model = prepare(model, torch.device("cpu")) if channels_last else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=params.lr)
    x = torch.randint(0, 256, (batch, 2, 16, resolution, resolution), dtype=torch.uint8)
    x[:, 1] = (x[:, 1] > 127).to(torch.uint8)
    y, generator = torch.randint(0, 11, (batch,)), torch.Generator().manual_seed(0)
    parts = {"augmentation": 0.0, "forward + backward": 0.0, "AdamW step": 0.0}

    def step(profiled: bool) -> None:
        start = time.perf_counter()
        clips = augment(x, params.augment, generator)[0]
        middle = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(model(clips), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        end = time.perf_counter()
        optimizer.step()
        if profiled:
            parts["augmentation"] += (middle - start) * 1000 / steps
            parts["forward + backward"] += (end - middle) * 1000 / steps
            parts["AdamW step"] += (time.perf_counter() - end) * 1000 / steps

    step(False)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step(True)
    kinds: dict[str, float] = {}
    for event in prof.key_averages():
        if event.key.startswith("aten::"):
            kinds[kind_of(event.key)] = kinds.get(kind_of(event.key), 0.0) + event.self_cpu_time_total / 1000 / steps
    scale = parts["forward + backward"] / sum(kinds.values())  # operator times, scaled to the measured wall time
    return {"augmentation": parts["augmentation"],  # forward + backward as the sum of its kinds
            **{f"forward+backward: {kind}": ms * scale for kind, ms in sorted(kinds.items(), key=lambda kv: -kv[1])},
            "AdamW step": parts["AdamW step"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=48)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    keep_freed_memory()  # process-wide: before either layout, so that both run alike
    layouts = {"channels_last": profile_step(args.resolution, args.batch, args.steps, True),
               "eager NCHW": profile_step(args.resolution, args.batch, args.steps, False)}
    print(f"MCAT training step, {args.resolution}x{args.resolution}, T=16, batch {args.batch}, "
          f"{torch.get_num_threads()} threads; ms per step (share)")
    print(f"{'part':<48}" + "".join(f"{name:>22}" for name in layouts))
    for part in layouts["channels_last"]:
        cells = [f"{times.get(part, 0.0):>12.0f} ({times.get(part, 0.0) / sum(times.values()):>6.1%})"
                 for times in layouts.values()]
        print(f"{part:<48}" + "".join(f"{cell:>22}" for cell in cells))
    for name, times in layouts.items():
        print(f"{name}: {sum(times.values()):.0f} ms per step, {args.batch * 1000 / sum(times.values()):.1f} clips/s")


if __name__ == "__main__":
    main()
