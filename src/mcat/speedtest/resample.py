"""Playing a stored recording at another speed by resampling it in time.

A recording played ``factor`` times faster keeps the frame positions ``round(k * factor)`` for k = 0, 1, ...
(round half up), so frames, masks and labels stay aligned: a label follows its frame. ``factor`` < 1 repeats
frames (slower), ``factor`` > 1 skips them (faster).
"""

from __future__ import annotations

import numpy as np
from typing import Callable, Iterator

from torch.utils.data import Dataset

from mcat.data.dataset import recording_arrays, window_item
from mcat.data.store import MaskStore, PoseStore, Store
from mcat.data.windowing import window_labels, window_starts


def speed_positions(n_frames: int, factor: float) -> np.ndarray:
    """The source frame of each frame of the recording played ``factor`` times faster: int64 [M],
    ``M ≈ n_frames / factor``, every position < ``n_frames``."""
    if not factor > 0:
        raise ValueError(f"a speed factor must be positive, got {factor}")
    return np.floor(np.arange(0, n_frames - 0.5, factor) + 0.5).astype(np.int64)


class ResampledWindows(Dataset):
    """The windows of recordings played ``factor`` times faster, cut exactly as ``mcat windows`` cuts them.

    Item: (clip uint8 [2, T, R, R] — gray frames, masks — and the centre frame's label); with a pose store,
    (clip, keypoints float32 [T, K, 3], label), as :class:`~mcat.data.dataset.WindowDataset` gives them.

    Args:
        store, masks: the frame and mask stores.
        recording_ids: the recordings to play.
        factor: the speed factor (> 0).
        T, stride: the window length and step (the model's :class:`~mcat.modelfile.Preprocessing`).
        crop: what is done to each clip (the model's ``Preprocessing.window_crop()``; None: nothing) and
            joints_crop, to its keypoints (``Preprocessing.joints_crop()``; None: nothing).
        poses: the pose store, for a model that reads keypoints.
    """

    def __init__(self, store: Store, masks: MaskStore, recording_ids: list[str], factor: float, T: int, stride: int,
                 crop: Callable[[np.ndarray], np.ndarray] | None = None,
                 joints_crop: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                 poses: PoseStore | None = None):
        self.store, self.masks, self.T = store, masks, T
        self.cut = crop is not None or joints_crop is not None
        self.crop = crop or (lambda clip: clip)
        self.joints_crop = joints_crop or (lambda joints, masks: joints)
        self.poses = poses
        self.positions: list[np.ndarray] = []
        index, labels = [], []
        for r, rid in enumerate(recording_ids):
            positions = speed_positions(len(store.labels(rid)), factor)
            starts = window_starts(len(positions), T, stride)
            self.positions.append(positions)
            index += [(r, int(s)) for s in starts]
            labels.append(window_labels(np.asarray(store.labels(rid))[positions], starts, T))
        self.recording_ids = list(recording_ids)
        self._arrays: dict[int, tuple[np.ndarray, ...]] = {}
        self.index = index
        self.labels = np.concatenate(labels) if labels else np.zeros(0, np.int64)

    def __len__(self) -> int:
        return len(self.index)

    def _open(self, r: int) -> tuple[np.ndarray, ...]:
        if r not in self._arrays:  # memory-mapped once per recording, not per clip
            self._arrays[r] = recording_arrays(self.store, self.masks, self.poses, self.recording_ids[r])
        return self._arrays[r]

    def uncropped(self) -> bool:
        """Whether every window is its frames as stored (no crop): what lets a model encode each frame once."""
        return not self.cut

    def by_recording(self) -> Iterator[tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]]:
        """Per recording: its windows' item indices int64 [W_r], their frames' positions in the stored recording
        int64 [W_r, T], and its arrays (as :func:`~mcat.data.dataset.recording_arrays`)."""
        starts = np.array([start for _, start in self.index], np.int64)
        recording = np.array([r for r, _ in self.index], np.int64)
        for r in range(len(self.recording_ids)):
            items = np.flatnonzero(recording == r)
            if len(items):
                yield items, self.positions[r][starts[items, None] + np.arange(self.T)], self._open(r)

    def __getitem__(self, i: int) -> tuple:
        r, start = self.index[i]
        frames, masks, *pose = self._open(r)
        positions = self.positions[r][start:start + self.T]
        return window_item(np.stack([frames[positions], masks[positions]]), pose[0][positions] if pose else None,
                           int(self.labels[i]), self.crop, self.joints_crop)
