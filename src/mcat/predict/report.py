"""What ``mcat predict`` writes: window tables, the segment timeline (JSON and PNG), an annotated video."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from mcat.atomic import write_csv
from mcat.data.windowing import window_centres
from mcat.data.video import probe, read_frames
from mcat.evaluate.plots import pyplot
from mcat.modelfile import ModelFile
from mcat.predict.timeline import MainExercise, Segment


def _timeline(segments: list[Segment], names: list[str], fps: float) -> list[dict]:
    """The segments as JSON rows: class, start_s, end_s, frames."""
    return [{"class": names[seg.label], "start_s": round(start, 3), "end_s": round(end, 3), "frames": seg.end - seg.start}
            for seg, (start, end) in ((seg, seg.seconds(fps)) for seg in segments)]


def write_reports(folder: Path, model: ModelFile, starts: np.ndarray, probs: np.ndarray, segments: list[Segment],
                  exercise: MainExercise, fps: float, per_frame: np.ndarray,
                  truth: tuple[list[Segment], dict] | None = None) -> None:
    """windows.csv, windows.json and segments.json (the main ``exercise`` first); ``truth``: the true segments and
    the scores against them."""
    names, T = model.class_names, model.preprocessing.T
    best = probs.argmax(axis=1)
    rows = [(i, int(s), int(s) + T, round(s / fps, 3), round((s + T) / fps, 3), names[c], round(float(p[c]), 4))
            for i, (s, c, p) in enumerate(zip(starts, best, probs))]
    write_csv(folder / "windows.csv", ["window", "start_frame", "end_frame", "start_s", "end_s", "class", "probability"],
              rows)
    windows = [{"window": r[0], "start_frame": r[1], "end_frame": r[2], "start_s": r[3], "end_s": r[4],
                "class": r[5], "probabilities": dict(zip(names, map(float, p.round(4))))} for r, p in zip(rows, probs)]
    (folder / "windows.json").write_text(json.dumps(windows, indent=1) + "\n")
    centres = window_centres(starts, T)
    timeline = _timeline(segments, names, fps)
    for seg, row in zip(segments, timeline):
        inside = (centres >= seg.start) & (centres < seg.end)
        row["mean_probability"] = round(float(probs[inside, seg.label].mean()), 4) if inside.any() else None
    main = {"class": exercise.name, "mean_probability": round(exercise.mean_probability, 4),
            "window_share": round(exercise.window_share, 4), "active_share": round(exercise.active_share, 4)}
    report = {"exercise": main, "fps": fps, "frames": int(len(per_frame)), "segments": timeline}
    if truth is not None:
        report.update(truth=_timeline(truth[0], names, fps), scores=truth[1])
    (folder / "segments.json").write_text(json.dumps(report, indent=1) + "\n")


def timeline_png(path: Path, segments: list[Segment], names: list[str], fps: float, title: str,
                 truth: list[Segment] | None = None) -> None:
    """The predicted segments as coloured bars over time (the true ones in a row above, when given), every
    class shown in a legend; names are also written on the segments wide enough to hold them."""
    from matplotlib.patches import Patch

    plt = pyplot()
    colours = plt.get_cmap("tab20", max(len(names), 2))
    rows = [("prediction", segments)] + ([("truth", truth)] if truth is not None else [])
    fig, ax = plt.subplots(figsize=(12, 1.4 + 0.8 * len(rows)), constrained_layout=True)
    for y, (_, row) in enumerate(rows):
        for seg in row:
            start, end = seg.seconds(fps)
            ax.barh(y, end - start, left=start, color=colours(seg.label), edgecolor="white")
            if end - start > 0.04 * row[-1].end / fps:
                ax.text((start + end) / 2, y, names[seg.label].replace("_", "\n"), ha="center", va="center",
                        fontsize=7)
    ax.set_yticks(range(len(rows)), [name for name, _ in rows])
    shown = sorted({seg.label for _, row in rows for seg in row})
    ax.legend(handles=[Patch(color=colours(c), label=names[c]) for c in shown], loc="upper left",
              bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    ax.set_xlabel("seconds")
    ax.set_title(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def annotate_video(video: Path, path: Path, per_frame: np.ndarray, names: list[str], fps: float,
                   step: float | None) -> None:
    """The input video on the model's clock (``fps``, ``step`` source frames per frame; see
    :func:`~mcat.data.video.read_frames`) with the predicted exercise of each frame written on it (mp4v)."""
    info = probe(video)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (info.width, info.height))
    try:
        for frame, label in zip(read_frames(video, len(per_frame), step), per_frame):
            cv2.putText(frame, names[label], (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3)
            cv2.putText(frame, names[label], (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
            writer.write(frame)
    finally:
        writer.release()
