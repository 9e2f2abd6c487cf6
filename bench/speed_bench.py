"""Speed robustness, measured: the experiment matrix over seeds (mean ± 95% CI), its speed stress test, the
same models on a second, equally valid test set, and how well resampling predicts truly re-rendered tempos.

    python bench/speed_bench.py [--preset demo] [-S experiments.seeds=[0,1,2,3,4]] [--work DIR] [--rerender 1,1.5,2,3,4]

1. Renders the dataset of the params (synth → ingest → masks → pose → windows) and runs ``mcat experiments``
   on it (every run × seed: train, evaluate, speed test), printing the per-configuration table.
2. Renders the test split again with another renderer seed (``--alt-seed``) and scores every model on it:
   the gap between two test sets, per configuration, with its interval.
3. For the first configuration's models: the speed curve from resampling a test set rendered at tempo 1
   against test sets truly re-rendered at each tempo of ``--rerender`` (same seed, same domain otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import NamedTuple

from mcat.config import Params, load_params
from mcat.evaluate.stage import evaluate
from mcat.experiments import mean_ci95, run_experiments
from mcat.ingest.stage import ingest
from mcat.masks.stage import generate_masks
from mcat.pose.stage import estimate_pose
from mcat.speedtest.stage import speedtest
from mcat.synth.stage import synth
from mcat.windows.stage import make_windows
from options import floats, run

ROOT = Path(__file__).resolve().parents[1]


class Data(NamedTuple):
    """The folders of one rendered dataset, as the stages write them."""

    windows: Path
    store: Path
    masks: Path
    pose: Path


def build_data(params: Params, root: Path, workers: int) -> Data:
    """The params' synthetic dataset under ``root``: rendered, ingested, its masks and keypoints, windowed."""
    source = str(root / "synthetic")
    synth(params.synth, root / "synthetic", workers=workers)
    ingest(params.ingest.model_copy(update={"source": source}), root / "ingested")
    generate_masks(params.masks, root / "ingested", root / "masks", source=source)
    estimate_pose(params.pose, root / "ingested", root / "masks", root / "pose", source=source)
    make_windows(params.windows, root / "ingested", root / "masks", root / "windows")
    return Data(root / "windows", root / "ingested", root / "masks", root / "pose")


def test_only(params: Params, seed: int, tempo: float | None = None) -> Params:
    """The params with only the test split, rendered with renderer ``seed`` (and the test domain at ``tempo``)."""
    synth = params.synth
    splits = {name: s.model_copy(update={"recordings": s.recordings if name == "test" else 0})
              for name, s in synth.splits.items()}
    domains = dict(synth.domains)
    if tempo is not None:
        domain = synth.splits["test"].domain
        domains[domain] = domains[domain].model_copy(update={"tempo": tempo})
    return params.model_copy(update={"synth": synth.model_copy(update={"seed": seed, "splits": splits,
                                                                       "domains": domains})})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset")
    parser.add_argument("-S", dest="overrides", action="append", default=[])
    parser.add_argument("--work", type=Path, default=ROOT / "reports" / "speed_bench")
    parser.add_argument("--alt-seed", type=int, default=100)
    parser.add_argument("--rerender", type=floats, default="1,1.5,2,3,4")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    params = load_params(ROOT / "params.yaml", args.preset, args.overrides)
    work = args.work
    data = build_data(params, work / "data", args.workers)
    result = run_experiments(params, *data[:3], work / "models", work / "experiments", pose=data.pose)
    print(result.markdown)
    print(result.curves_markdown)

    # 2. the same models on another, equally valid test set
    alt = test_only(params, args.alt_seed)
    alt_data = build_data(alt, work / "alt", args.workers)
    gaps: dict[str, list[float]] = {}
    for row in result.rows:
        scores = evaluate(params.evaluate.model_copy(update={"splits": ["test"]}), work / "models" / row["run"] / "model.pt",
                          *alt_data[:3], work / "alt" / "reports" / row["run"], pose=alt_data.pose,
                          device=params.train.device).metrics
        row["alt_test_macro_f1"] = scores["test"]["macro_f1"]
        gaps.setdefault(row["config"], []).append(row["alt_test_macro_f1"] - row["test_macro_f1"])
    print(f"\nsecond test set (renderer seed {args.alt_seed}) minus the first, test macro-F1, mean ± 95% CI over seeds:")
    for config, values in gaps.items():
        mean, ci = mean_ci95(values)
        print(f"  {config:<40}{100 * mean:+6.1f} ± {100 * ci:.1f} points")

    # 3. resampled vs re-rendered tempos, for the first configuration's models
    tempos = args.rerender
    first = [r for r in result.rows if r["config"] == result.rows[0]["config"]]
    base = build_data(test_only(params, params.synth.seed, tempos[0]), work / f"tempo{tempos[0]:g}", args.workers)
    curves = {"resampled": {t: [] for t in tempos}, "re-rendered": {t: [] for t in tempos}}
    for tempo in tempos:
        data = base if tempo == tempos[0] else build_data(test_only(params, params.synth.seed, tempo),
                                                           work / f"tempo{tempo:g}", args.workers)
        for row in first:
            model = work / "models" / row["run"] / "model.pt"
            factor = params.speedtest.model_copy(update={"splits": ["test"], "factors": [tempo / tempos[0]]})
            rendered = params.speedtest.model_copy(update={"splits": ["test"], "factors": [1.0]})
            resampled = speedtest(factor, model, base.store, base.masks, work / "cmp" / f"r{row['run']}-{tempo:g}",
                                  pose=base.pose)
            truly = speedtest(rendered, model, data.store, data.masks, work / "cmp" / f"t{row['run']}-{tempo:g}",
                              pose=data.pose)
            curves["resampled"][tempo].append(resampled.curve["test"][0]["macro_f1"])
            curves["re-rendered"][tempo].append(truly.curve["test"][0]["macro_f1"])
    print(f"\n{first[0]['config']}: test macro-F1 at each tempo, resampled from tempo {tempos[0]:g} vs re-rendered "
          f"(mean ± 95% CI over {len(first)} seeds):")
    print(f"  {'tempo':>6}{'resampled':>18}{'re-rendered':>18}{'difference':>14}")
    for tempo in tempos:
        (rm, rc), (tm, tc) = mean_ci95(curves["resampled"][tempo]), mean_ci95(curves["re-rendered"][tempo])
        diff = mean_ci95([a - b for a, b in zip(curves["resampled"][tempo], curves["re-rendered"][tempo])])
        print(f"  {tempo:>5g}x{100 * rm:>11.1f} ± {100 * rc:<4.1f}{100 * tm:>11.1f} ± {100 * tc:<4.1f}"
              f"{100 * diff[0]:>+8.1f} ± {100 * diff[1]:.1f}")
    (work / "bench.json").write_text(json.dumps({"rows": result.rows, "summary": result.summary, "curves": {
        k: {str(t): v for t, v in c.items()} for k, c in curves.items()}}, indent=1, default=str))


if __name__ == "__main__":
    run(main)
