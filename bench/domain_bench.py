"""Domain generalisation inside the synthetic world, the stand-in for real video: train on one part of the
renderer's randomisation, test on parts the models never saw.

    python bench/domain_bench.py [--preset demo] [-S experiments.seeds=[0,1,2]] [-S 'experiments.runs=[...]'] [--work DIR]
                                 [--tests 'back views,portrait,...']

Seen (train, val and the in-distribution test): the camera within 90° of the subject's front, landscape frames,
rooms and gyms, no overlays and no occluders; everything else as the params say (upper-body shots, zoom, pan,
cuts, blur, exercise variants). Held-out test sets, all of fast executions and each changing one thing:

- ``back views``: the camera behind the subject (azimuth 90°–270°);
- ``portrait``: upright frames (fitted into the square with their aspect ratio, as ingest does);
- ``new places``: living rooms and outdoors, with captions, logos, progress bars and occluders;
- ``from afar``: the person a fifth to two fifths of the frame height (seen: 45–85 %), as across a gym;
- ``selfie masks``: the in-distribution test recordings, masks from MediaPipe selfie instead of exact ones;
- ``all at once``: the full randomisation of the params, selfie masks.

Every run of ``experiments.runs`` is trained with every seed of ``experiments.seeds`` on the seen data and
scored on each test set (``--tests``: some of the held-out ones; the selfie ones need LiteRT); the table gives macro-F1,
mean ± 95% t-interval over seeds, and the paired drop from the in-distribution test set. Models that read
keypoints get the renderer's (``pose.backend``) on every test set.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from speed_bench import Data, build_data, test_only

from mcat.config import Params, load_params
from mcat.evaluate.stage import evaluate
from mcat.experiments import mean_ci95, run_experiments
from mcat.masks.stage import generate_masks
from mcat.windows.stage import make_windows

ROOT = Path(__file__).resolve().parents[1]
SEEN = ("synth.camera.azimuth=[-90, 90]", "synth.camera.portrait=0", "synth.camera.square=0",
        "synth.places=[room, gym]", "synth.overlays=0", "synth.occluders=0")
HELD_OUT = {
    "back views": ("synth.camera.azimuth=[90, 270]",),
    "portrait": ("synth.camera.portrait=1",),
    "new places": ("synth.places=[living_room, outdoors]", "synth.overlays=0.6", "synth.occluders=0.4"),
    "from afar": ("synth.camera.person_height=[0.2, 0.4]",),
}
TEST_SEED = 500  # renderer seed of every test set: the same people and motions, filmed differently


HELD_OUT_SETS = (*HELD_OUT, "selfie masks", "all at once")


def selfie_masks(params: Params, data: Path) -> Data:
    """The dataset under ``data`` with masks from the selfie backend."""
    masks = params.masks.model_copy(update={"backend": "selfie"})
    generate_masks(masks, data / "ingested", data / "selfie_masks", source=str(data / "synthetic"))
    make_windows(params.windows, data / "ingested", data / "selfie_masks", data / "selfie_windows")
    return Data(data / "selfie_windows", data / "ingested", data / "selfie_masks", data / "pose")


def test_sets(preset: str | None, overrides: list[str], work: Path, workers: int,
              names: tuple[str, ...] = HELD_OUT_SETS) -> dict[str, Data]:
    """The in-distribution test set and the held-out ones of ``names`` (of :data:`HELD_OUT_SETS`), by name."""
    def params(*more: str) -> Params:
        return load_params(ROOT / "params.yaml", preset, [*overrides, *more])

    seen, full = params(*SEEN), params()
    tests = {"in-distribution": build_data(test_only(seen, TEST_SEED), work / "test_seen", workers)}
    for name, changes in HELD_OUT.items():
        if name in names:
            tests[name] = build_data(test_only(params(*SEEN, *changes), TEST_SEED), work / name.replace(" ", "_"),
                                     workers)
    if "selfie masks" in names:
        tests["selfie masks"] = selfie_masks(seen, work / "test_seen")
    if "all at once" in names:
        build_data(test_only(full, TEST_SEED), work / "all_at_once", workers)
        tests["all at once"] = selfie_masks(full, work / "all_at_once")
    return tests


def score(params: Params, models: dict[str, Path], tests: dict[str, Data], work: Path,
          ) -> dict[str, dict[str, list[float]]]:
    """Test macro-F1 of every model (by run name; the config is the name without its seed) on every test set:
    {config: {test set: [one per seed]}}."""
    scores: dict[str, dict[str, list[float]]] = {}
    for run, model in models.items():
        config = run.split("-seed")[0]
        for name, data in tests.items():
            metrics = evaluate(params.evaluate.model_copy(update={"splits": ["test"]}), model, *data[:3],
                               work / "reports" / run / name.replace(" ", "_"), pose=data.pose,
                               device=params.train.device).metrics
            scores.setdefault(config, {}).setdefault(name, []).append(metrics["test"]["macro_f1"])
    return scores


def print_scores(scores: dict[str, dict[str, list[float]]]) -> None:
    for config, by_test in scores.items():
        base = by_test["in-distribution"]
        print(f"\n{config}: test macro-F1 (fast executions), mean ± 95% CI over {len(base)} seeds; drop paired by seed")
        print(f"  {'test set':<18}{'macro-F1':>16}{'vs in-distribution':>24}")
        for name, values in by_test.items():
            mean, ci = mean_ci95(values)
            drop = mean_ci95([v - b for v, b in zip(values, base)])
            change = "" if name == "in-distribution" else f"{100 * drop[0]:+.1f} ± {100 * drop[1]:.1f}"
            print(f"  {name:<18}{100 * mean:>9.1f} ± {100 * ci:<5.1f}{change:>20}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset")
    parser.add_argument("-S", dest="overrides", action="append", default=[])
    parser.add_argument("--work", type=Path, default=ROOT / "reports" / "domain_bench")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--tests", default=",".join(HELD_OUT_SETS),
                        help="comma-separated held-out test sets beside in-distribution (default: all)")
    args = parser.parse_args()
    names = tuple(args.tests.split(","))
    if unknown := set(names) - set(HELD_OUT_SETS):
        parser.error(f"unknown test set(s) {', '.join(sorted(unknown))}: choose from {', '.join(HELD_OUT_SETS)}")
    seen = load_params(ROOT / "params.yaml", args.preset, [*args.overrides, *SEEN])
    work = args.work
    data = build_data(seen, work / "seen", args.workers)
    result = run_experiments(seen, *data[:3], work / "models", work / "experiments", pose=data.pose)
    print(result.markdown)
    tests = test_sets(args.preset, args.overrides, work, args.workers, names)
    scores = score(seen, {row["run"]: work / "models" / row["run"] / "model.pt" for row in result.rows}, tests, work)
    print_scores(scores)
    (work / "bench.json").write_text(json.dumps({"rows": result.rows, "scores": scores}, indent=1, default=str))


if __name__ == "__main__":
    main()
