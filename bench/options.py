"""What the bench scripts share on their command lines: comma-separated numbers as argparse types (a bad list is
argparse's one-line usage error), a user's error (:class:`mcat.errors.McatError`) as one line, no traceback, and a
table cell of scores over seeds (mean ± 95% t-interval, in percent).

Scripts run as ``python bench/NAME.py``, so this file is importable as ``options`` beside them.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Callable

from mcat.errors import McatError


def _numbers(text: str, kind: type, what: str) -> list:
    try:
        values = [kind(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of {what}, e.g. "
                                         f"{'1,2,4' if kind is int else '1,0.5'}") from None
    if not all(v > 0 and math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: every value must be > 0 and finite")
    return values


def floats(text: str) -> list[float]:
    """``"1,2,4"`` → [1.0, 2.0, 4.0]; each > 0."""
    return _numbers(text, float, "numbers")


def ints(text: str) -> list[int]:
    """``"1,2,3"`` → [1, 2, 3]; each > 0."""
    return _numbers(text, int, "whole numbers")


def switches(text: str) -> list[bool]:
    """``"on,off"`` → [True, False]."""
    values = text.split(",")
    if not set(values) <= {"on", "off"}:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of on and off, e.g. on,off")
    return [v == "on" for v in values]


def words(*allowed: str) -> Callable[[str], list[str]]:
    """An argparse type: ``"a,b"`` → ["a", "b"], each one of ``allowed``."""
    def parse(text: str) -> list[str]:
        values = text.split(",")
        if not set(values) <= set(allowed):
            raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of {', '.join(allowed)}")
        return values
    return parse


def float_sets(text: str) -> list[tuple[float, ...]]:
    """``"1;1,0.5"`` → [(1.0,), (1.0, 0.5)]: sets separated by ``;``, numbers by ``,``; each > 0."""
    return [tuple(floats(part)) for part in text.split(";")]


def cell(values: list[float], signed: bool = False) -> str:
    """Scores in [0, 1] (one per seed) as a table cell: ``48.9 ± 6.6`` (percent; ``+`` shown when ``signed``)."""
    from mcat.experiments import mean_ci95  # the training stack, only for the benches that tabulate seeds

    mean, ci = mean_ci95(values)
    return f"{100 * mean:{'+' if signed else ''}.1f} ± {100 * ci:.1f}"


def shared_models(root: Path) -> list[str]:
    """``-S`` overrides that give params.yaml's MediaPipe models (both selfie models, BlazePose) by absolute path in
    ``root``/../shared/models, so that a bench runs from any folder."""
    models = root.parent / "shared" / "models"
    return [f"masks.selfie.model={models / 'mediapipe_selfie_segmentation_256x256.tflite'}",
            f"masks.selfie.landscape_model={models / 'mediapipe_selfie_segmentation_landscape_144x256.tflite'}",
            f"pose.blazepose.model={models / 'mediapipe_pose_landmark_lite_with_segmentation.tflite'}"]


def run(main: Callable[[], None]) -> None:
    """``main()``, with a McatError printed as ``<script>: error: <message>`` and exit status 1."""
    try:
        main()
    except McatError as exc:
        sys.exit(f"{sys.argv[0].rsplit('/', 1)[-1]}: error: {exc}")
