"""From per-window predictions to a per-frame timeline, merged exercise segments, and the video's one exercise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcat.data.windowing import window_centres


@dataclass(frozen=True)
class Segment:
    label: int
    start: int  # first frame
    end: int  # one past the last frame

    def seconds(self, fps: float) -> tuple[float, float]:
        return self.start / fps, self.end / fps


def frame_labels(starts: np.ndarray, classes: np.ndarray, n_frames: int, T: int, stride: int) -> np.ndarray:
    """Per-frame class int64 [n_frames]: each window speaks for the ``stride`` frames around its centre
    (:func:`mcat.data.windowing.window_centres`); the frames before the first and after the last centre take the nearest window."""
    labels = np.empty(n_frames, np.int64)
    if not len(starts):
        labels[:] = -1
        return labels
    centres = window_centres(starts, T)
    nearest = np.clip(np.searchsorted(centres - stride // 2, np.arange(n_frames), side="right") - 1, 0, len(starts) - 1)
    labels[:] = classes[nearest]
    return labels


def runs(labels: np.ndarray) -> list[Segment]:
    """Maximal runs of one label."""
    if not len(labels):
        return []
    cuts = np.flatnonzero(np.diff(labels)) + 1
    bounds = np.concatenate([[0], cuts, [len(labels)]])
    return [Segment(int(labels[a]), int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def merge_short(segments: list[Segment], min_frames: int) -> list[Segment]:
    """Give every run shorter than ``min_frames`` to its longer neighbour, shortest first, then join equal
    neighbours; a lone segment stays."""
    segments = list(segments)
    while len(segments) > 1:
        lengths = [s.end - s.start for s in segments]
        i = int(np.argmin(lengths))
        if lengths[i] >= min_frames:
            break
        left = segments[i - 1] if i > 0 else None
        right = segments[i + 1] if i + 1 < len(segments) else None
        take = left if right is None or (left is not None and left.end - left.start >= right.end - right.start) else right
        merged = Segment(take.label, min(take.start, segments[i].start), max(take.end, segments[i].end))
        j = segments.index(take)
        segments[min(i, j)] = merged
        del segments[max(i, j)]
        segments = _join(segments)
    return segments


@dataclass(frozen=True)
class MainExercise:
    label: int  # class id, never 0 (non_activity)
    name: str
    mean_probability: float  # its mean probability over all windows
    window_share: float  # share of the windows whose best class it is
    active_share: float  # share of the windows whose best class is an exercise (not non_activity)


def main_exercise(probs: np.ndarray, names: list[str]) -> MainExercise:
    """The one exercise of a video, as a clip-level answer for a clip of one person doing one exercise: the
    class other than non_activity (id 0) with the highest mean probability over its windows (float32 [W, C];
    ``names``: the C class names), so that rests, talking and title cards (non_activity) never win, and every
    window votes with its whole distribution rather than its top class."""
    mean = probs.mean(axis=0)
    label = int(mean[1:].argmax()) + 1
    best = probs.argmax(axis=1)
    return MainExercise(label, names[label], float(mean[label]), float(np.mean(best == label)),
                        float(np.mean(best != 0)))


def frames_of(segments: list[Segment]) -> np.ndarray:
    """The per-frame labels int64 [N] of a timeline of consecutive segments."""
    return np.concatenate([np.full(s.end - s.start, s.label, np.int64) for s in segments])


def _join(segments: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for s in segments:
        if out and out[-1].label == s.label:
            out[-1] = Segment(s.label, out[-1].start, s.end)
        else:
            out.append(s)
    return out


def segment_scores(truth: np.ndarray, predicted: np.ndarray, min_iou: float = 0.5) -> dict[str, float]:
    """How well a predicted per-frame timeline int64 [N] recovers the true one int64 [N].

    ``frame_accuracy``: frames with the true class. ``segment_accuracy``: true segments (runs of one class)
    whose frames are mostly predicted as their class. ``segment_recall``: true segments matched by a
    predicted segment of the same class with IoU ≥ ``min_iou``; ``segment_precision``: the same, of the
    predicted segments.
    """
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true labels vs {len(predicted)} predicted frames")
    true_runs, pred_runs = runs(truth), runs(predicted)

    def matched(a: Segment, candidates: list[Segment]) -> bool:
        return any(b.label == a.label and _iou(a, b) >= min_iou for b in candidates)

    majority = [np.bincount(predicted[s.start:s.end]).argmax() == s.label for s in true_runs]
    return {"frame_accuracy": float(np.mean(truth == predicted)),
            "segment_accuracy": float(np.mean(majority)),
            "segment_recall": float(np.mean([matched(s, pred_runs) for s in true_runs])),
            "segment_precision": float(np.mean([matched(s, true_runs) for s in pred_runs])),
            "true_segments": len(true_runs), "predicted_segments": len(pred_runs)}


def _iou(a: Segment, b: Segment) -> float:
    inter = max(0, min(a.end, b.end) - max(a.start, b.start))
    return inter / (max(a.end, b.end) - min(a.start, b.start))
