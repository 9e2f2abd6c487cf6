"""Test-time tempo averaging, measured: the same trained models speed-tested with each set of averaged speed factors.

    python bench/tempo_averaging_bench.py MODEL.pt [MODEL.pt ...] [--sets "1;1,0.5;1,0.5,0.33"] [--factors 1,2,4]
                                          [--store data/ingested] [--masks data/masks] [--pose data/pose] [--work DIR]
                                          [--device cpu|cuda|auto]

Give one model file per training seed (e.g. ``models/model.pt`` and ``models/experiments/<run>-seed<n>/model.pt``;
whatever averaging they were trained with is replaced: it changes nothing in training). For each set of ``train.tempo_averaging`` factors (``--sets``, ``;`` between sets)
each model is written again with only that setting changed in its preprocessing and speed-tested (``mcat
speedtest``, the ``test`` split of the demo's data, by default, played at ``--factors``). Prints macro-F1 at each playback
factor, the drop from the first factor to the last, and each set's paired difference from the first set (the same
trained networks), mean ± 95% t-interval over the models.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from mcat.config import load_params
from mcat.speedtest.stage import speedtest
from options import cell, float_sets, floats, run

ROOT = Path(__file__).resolve().parents[1]


def with_averaging(model: Path, factors: tuple[float, ...], out: Path) -> Path:
    """A copy of the model file ``model`` at ``out`` whose preprocessing averages over ``factors`` (only)."""
    payload = torch.load(model, weights_only=True)
    payload["preprocessing"]["tempo_averaging"] = factors
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+")
    parser.add_argument("--sets", type=float_sets, default="1;1,0.5;1,0.5,0.33")
    parser.add_argument("--factors", type=floats, default="1,2,4", help="playback speed factors of the speed test")
    parser.add_argument("--store", type=Path, default=ROOT / "data/ingested")
    parser.add_argument("--masks", type=Path, default=ROOT / "data/masks")
    parser.add_argument("--pose", type=Path, default=ROOT / "data/pose", help="keypoints, for models that read them")
    parser.add_argument("--work", type=Path, default=ROOT / "reports" / "tempo_averaging_bench")
    parser.add_argument("--device", default="cpu", help="where the models score (cpu, as the pipeline on a CPU)")
    args = parser.parse_args()
    if missing := [m for m in args.models if not m.is_file()]:
        parser.error(f"{missing[0]} is not a model file: give models/model.pt (run `make demo` first) or a run's model.pt")
    sets, factors = args.sets, args.factors
    params = load_params(ROOT / "params.yaml", None, [])
    test = params.speedtest.model_copy(update={"splits": ["test"], "factors": factors})
    f1: dict[tuple[float, ...], list[list[float]]] = {s: [] for s in sets}  # set → per model, F1 per factor
    for m, model in enumerate(args.models):
        for s in sets:
            variant = with_averaging(model, s, args.work / "models" / f"{m}-{','.join(map(str, s))}.pt")
            result = speedtest(test, variant, args.store, args.masks, args.work / "speed" / variant.stem,
                               pose=args.pose, device=args.device)
            f1[s].append([row["macro_f1"] for row in result.curve["test"]])
            print(f"model {m} ({model}), averaging {list(s)}: macro-F1 "
                  + ", ".join(f"{x:g}x {100 * v:.1f}" for x, v in zip(factors, f1[s][-1])), flush=True)
    head = " | ".join(f"F1 at {x:g}x" for x in factors)
    print(f"\n{len(args.models)} models; test split played at each factor; mean ± 95% t-interval over models\n")
    print(f"| tempo averaging | {head} | {factors[-1]:g}x − {factors[0]:g}x |\n|---|" + "---|" * (len(factors) + 1))
    for s in sets:
        runs = f1[s]
        print(f"| {', '.join(f'{f:g}' for f in s)} | " + " | ".join(cell([r[i] for r in runs]) for i in range(len(factors)))
              + f" | {cell([r[-1] - r[0] for r in runs], True)} |")
    for s in sets[1:]:
        pairs = list(zip(f1[s], f1[sets[0]]))
        print(f"| paired, {', '.join(f'{f:g}' for f in s)} − {', '.join(f'{f:g}' for f in sets[0])} | "
              + " | ".join(cell([a[i] - b[i] for a, b in pairs], True) for i in range(len(factors)))
              + f" | {cell([(a[-1] - a[0]) - (b[-1] - b[0]) for a, b in pairs], True)} |")
    (args.work / "bench.json").write_text(json.dumps(
        {"models": [str(m) for m in args.models], "factors": factors,
         "macro_f1": {",".join(map(str, s)): runs for s, runs in f1.items()}}, indent=1) + "\n")


if __name__ == "__main__":
    run(main)
