"""The window rule, shared by training, evaluation and prediction.

A window is (recording, start) covering frames [start, start + T); it speaks for its centre frame
``start + T // 2`` (the paper's smart-middle labelling). Windows never cross a recording's end.
"""

from __future__ import annotations

import numpy as np


def window_starts(n_frames: int, T: int, stride: int) -> np.ndarray:
    """Start frames int64 [W] of every window that fits inside ``n_frames``."""
    return np.arange(0, max(n_frames - T + 1, 0), stride, dtype=np.int64)


def label_frame(T: int) -> int:
    """The frame of a window (counted from its start) that labels it and that it speaks for."""
    return T // 2


def window_centres(starts: np.ndarray, T: int) -> np.ndarray:
    """The frame each window speaks for, ``start + label_frame(T)``: int64 [W]."""
    return np.asarray(starts, np.int64) + label_frame(T)


def window_labels(labels: np.ndarray, starts: np.ndarray, T: int) -> np.ndarray:
    """The label of each window's centre frame: int64 [W]."""
    return np.asarray(labels, np.int64)[window_centres(starts, T)]


def tempo_window(centre: int, n_frames: int, T: int, factor: float) -> np.ndarray:
    """The T frame positions int64 [T] of a window played ``factor`` times faster around frame ``centre``:
    ``centre + round((t - label_frame(T)) * factor)`` (round half up), so its label frame stays ``centre``
    unless the span crosses the recording's edge, where it is shifted (then clipped) to stay inside
    [0, ``n_frames``)."""
    offsets = np.floor((np.arange(T) - label_frame(T)) * factor + 0.5).astype(np.int64)
    positions = centre + offsets
    positions += max(0, -int(positions[0])) - max(0, int(positions[-1]) - (n_frames - 1))
    return np.clip(positions, 0, n_frames - 1)
