"""Clip-level scores of ``mcat predict`` on a user's own labelled clips: one person doing one exercise per video,
named in a ``video,exercise`` CSV (``--clip-labels``), each video answered by its main exercise
(:func:`~mcat.predict.timeline.main_exercise`). This is how a model is judged on real video: the share of clips
named right, with a 95 % interval, against chance, and which exercises it mistakes for which.

Written beside the per-video folders::

    clips.csv             video, exercise, predicted, mean_probability, right
    clips.json            the model scored, accuracy with its Wilson interval, chance, per-exercise recall, what
                          the model answered how often, and the confusion matrix (rows: true exercise, columns:
                          answer)
    clips_confusion.png   that matrix, in counts and row shares
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcat.atomic import atomic_file, write_csv
from mcat.data.framewise import read_csv
from mcat.errors import McatError
from mcat.evaluate.plots import confusion_png


def _key(name: str) -> str:
    """Exercise names compare without case, and with spaces or hyphens for underscores ("Bicep curls")."""
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def read_clip_labels(path: Path, videos: list[Path], class_names: list[str]) -> dict[Path, int]:
    """The true exercise (class id ≥ 1) of each of ``videos`` from a ``video,exercise`` CSV at ``path``; a row's
    video is a file name (``squat_01.mp4``) or its stem, its exercise one of ``class_names`` but non_activity
    (id 0): a clip is scored by its main exercise, which is never non_activity. Every video needs one row and
    every row a video."""
    rows = read_csv(path, ("video", "exercise"), "--clip-labels")
    known = {_key(name): i for i, name in enumerate(class_names) if i > 0}
    by_name = {v.name: v for v in videos} | {v.stem: v for v in videos}
    labels: dict[Path, int] = {}
    for line, row in enumerate(rows, start=2):
        where = f"--clip-labels {path} line {line}"
        video = by_name.get(row["video"])
        if video is None:
            raise McatError(f"{where} names video '{row['video']}', which is not among the {len(videos)} videos to "
                            f"predict: give its file name or stem, or drop the row")
        if video in labels:
            raise McatError(f"{where}: {video.name} has a label already; give each video one row")
        if _key(row["exercise"]) not in known:
            raise McatError(f"{where}: the model does not know the exercise '{row['exercise']}'; it knows "
                            f"{', '.join(class_names[1:])} (score only clips of these)")
        labels[video] = known[_key(row["exercise"])]
    missing = [v.name for v in videos if v not in labels]
    if missing:
        raise McatError(f"--clip-labels {path} has no row for {', '.join(missing[:5])}"
                        f"{f' and {len(missing) - 5} more' if len(missing) > 5 else ''}: one video,exercise row "
                        "per video")
    return labels


@dataclass(frozen=True)
class ClipScores:
    clips: int
    right: int
    accuracy: float
    interval: tuple[float, float]  # 95 % Wilson score interval of the accuracy
    chance: float  # 1 / the number of exercises the model knows

    def line(self) -> str:
        """The scores in one sentence."""
        low, high = self.interval
        return (f"{self.right} of {self.clips} clips named right: {self.accuracy:.1%} (95% interval {low:.1%}–"
                f"{high:.1%}; chance {self.chance:.1%})")


def score_clips(truth: list[int], answers: list[int], probabilities: list[float], videos: list[Path],
                class_names: list[str], out: Path, model: str) -> ClipScores:
    """Score each video's main exercise ``answers`` (class ids, with their mean ``probabilities``) against its
    true exercise ``truth`` and write clips.csv, clips.json (naming the ``model`` scored) and clips_confusion.png
    into ``out``."""
    from scipy.stats import binomtest
    from sklearn.metrics import confusion_matrix

    y, p = np.asarray(truth), np.asarray(answers)
    right = int((y == p).sum())
    wilson = binomtest(right, len(y)).proportion_ci(confidence_level=0.95, method="wilson")
    scores = ClipScores(len(y), right, right / len(y), (float(wilson.low), float(wilson.high)),
                        1 / (len(class_names) - 1))
    exercises = list(range(1, len(class_names)))
    names = class_names[1:]
    confusion = confusion_matrix(y, p, labels=exercises)
    write_csv(out / "clips.csv", ["video", "exercise", "predicted", "mean_probability", "right"],
              [(v.name, class_names[t], class_names[a], round(q, 4), int(t == a))
               for v, t, a, q in zip(videos, truth, answers, probabilities)])
    summary = {"model": model, "clips": scores.clips, "right": scores.right, "accuracy": scores.accuracy,
               "interval95": list(scores.interval), "interval_method": "Wilson score, over clips",
               "chance": scores.chance,
               "per_exercise": {name: {"clips": int(row.sum()), "right": int(row[i]),
                                       "recall": float(row[i] / row.sum()) if row.sum() else None}
                                for i, (name, row) in enumerate(zip(names, confusion))},
               "answered": {name: int(n) for name, n in zip(names, confusion.sum(axis=0))},
               "confusion": {"exercises": names, "counts": confusion.tolist()}}
    with atomic_file(out / "clips.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=1) + "\n")
    confusion_png(confusion, names, scores.line(), out / "clips_confusion.png", unit="clips")
    return scores
