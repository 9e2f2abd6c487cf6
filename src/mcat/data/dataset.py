"""``WindowDataset``: training clips read straight from the frame store through memory maps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import Dataset

from mcat.data.framewise import read_csv
from mcat.data.store import MaskStore, PoseStore, Store
from mcat.data.framing import Framing
from mcat.data.person_crop import joints_crop, window_crop
from mcat.data.windowing import label_frame, tempo_window
from mcat.errors import McatError
from mcat.pose.joints import K


class WindowDataset(Dataset):
    """The windows of one split as (clip, label), or (clip, keypoints, label) with a pose store.

    clip: uint8 tensor [2, T, R, R], channel 0 the grayscale frames, channel 1 the binary person masks (cut to
    the person when the windows were made with ``crop: person``, :mod:`mcat.data.person_crop`);
    keypoints: float32 tensor [T, K, 3] of the same frames (``mcat pose``), moved into the same crop;
    label: int, the class id of the window's centre frame.

    With ``tempo`` = (low, high) other than (1, 1) — speed-invariant training — each clip is played at a speed
    factor drawn log-uniformly from [low, high]: its T frames span about T × factor frames around the
    window's centre (:func:`mcat.data.windowing.tempo_window`), masks alike, and its label is that of the
    frame it is centred on. The draw depends on (seed, epoch, index) only (:meth:`set_epoch`), so a resumed
    training sees the same clips, whatever the worker count.

    Args:
        windows_dir: output of ``mcat windows`` (``<split>.csv`` and ``stats.json``, which gives T).
        split: ``train``, ``val``, ``test``, ...
        store_dir: output of ``mcat ingest`` (frames).
        masks_dir: output of ``mcat masks``.
        tempo: the speed-factor range of speed-invariant training; None or (1, 1): windows as indexed.
        pose_dir: output of ``mcat pose``, for the models that read keypoints; None: clips alone.
    """

    def __init__(self, windows_dir: Path, split: str, store_dir: Path, masks_dir: Path,
                 tempo: tuple[float, float] | None = None, pose_dir: Path | None = None):
        windows_dir = Path(windows_dir)
        stats_file = windows_dir / "stats.json"
        if not stats_file.is_file():
            raise McatError(f"{stats_file} is missing: run `mcat windows` first")
        stats = json.loads(stats_file.read_text())
        self.T: int = stats["T"]
        self.stride: int = stats["stride"]
        self.crop: str = stats.get("crop", "none")  # windows made before the crop existed: whole frames
        self.crop_margin: float = stats.get("crop_margin", 0.0)
        self._crop = window_crop(self.crop, self.crop_margin)
        self._joints_crop = joints_crop(self.crop, self.crop_margin)
        self.class_names: list[str] = stats["class_names"]
        rows = read_csv(windows_dir / f"{split}.csv", ("recording_id", "start", "label"), f"the {split} windows")
        self.recording_ids = sorted({r["recording_id"] for r in rows})
        index = {rid: i for i, rid in enumerate(self.recording_ids)}
        self.recording = np.array([index[r["recording_id"]] for r in rows], np.int32)
        self.starts = np.array([int(r["start"]) for r in rows], np.int64)
        self.labels = np.array([int(r["label"]) for r in rows], np.int64)
        self.store, self.mask_store = Store(store_dir), MaskStore(masks_dir)
        self.pose_store = None if pose_dir is None else PoseStore(pose_dir)
        self._arrays: dict[int, tuple[np.ndarray, ...]] = {}
        self.tempo = None if tempo is None or tuple(tempo) == (1.0, 1.0) else (float(tempo[0]), float(tempo[1]))
        self._seed_epoch = (0, 0)
        self._labels: dict[int, np.ndarray] = {}

    def set_epoch(self, seed: int, epoch: int) -> None:
        """Seed the tempo draws of the coming epoch."""
        self._seed_epoch = (seed, epoch)

    def framing(self) -> Framing:
        """The clock and fit the recordings were ingested with (the first recording's: ingest puts all alike)."""
        return self.store.framing(self.recording_ids[0])

    @property
    def resolution(self) -> int:
        """R: the side of the stored frames."""
        return int(self._open(0)[0].shape[-1])

    def __len__(self) -> int:
        return len(self.starts)

    def _open(self, r: int) -> tuple[np.ndarray, ...]:
        # Opened lazily so that each DataLoader worker maps the files itself.
        if r not in self._arrays:
            self._arrays[r] = recording_arrays(self.store, self.mask_store, self.pose_store, self.recording_ids[r])
        return self._arrays[r]

    def uncropped(self) -> bool:
        """Whether every window is its frames as stored (no person crop, no tempo draw): what lets a model encode
        each frame once."""
        return self.crop == "none" and self.tempo is None

    def by_recording(self) -> Iterator[tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]]:
        """Per recording: its windows' item indices int64 [W_r], their frames' positions int64 [W_r, T] (the windows
        as indexed, no tempo draw), and its arrays (:func:`recording_arrays`)."""
        for r in range(len(self.recording_ids)):
            items = np.flatnonzero(self.recording == r)
            if len(items):
                yield items, self.starts[items, None] + np.arange(self.T), self._open(r)

    def __getitem__(self, i: int) -> tuple:
        r = int(self.recording[i])
        frames, masks, *pose = self._open(r)
        s = int(self.starts[i])
        if self.tempo is None:
            positions, label = slice(s, s + self.T), int(self.labels[i])
        else:
            rng = np.random.default_rng([*self._seed_epoch, i, 7])  # 7: the tempo stream
            factor = float(np.exp(rng.uniform(np.log(self.tempo[0]), np.log(self.tempo[1]))))
            positions = tempo_window(s + label_frame(self.T), len(frames), self.T, factor)
            if r not in self._labels:  # memory-mapped once per recording, not per clip
                self._labels[r] = self.store.labels(self.recording_ids[r])
            label = int(self._labels[r][positions[label_frame(self.T)]])
        return window_item(np.stack([frames[positions], masks[positions]]), pose[0][positions] if pose else None,
                           label, self._crop, self._joints_crop)


def recording_arrays(store: Store, masks: MaskStore, poses: PoseStore | None, rid: str) -> tuple[np.ndarray, ...]:
    """A recording's arrays, memory-mapped and checked: (frames uint8 [N, R, R], masks uint8 [N, R, R]) and, with a
    pose store, its keypoints float32 [N, K, 3]."""
    frames = store.frames(rid)
    arrays = (frames, masks.masks(rid, frames.shape))
    return arrays if poses is None else (*arrays, poses.pose(rid, len(frames), K))


def window_item(clip: np.ndarray, joints: np.ndarray | None, label: int, crop: Callable,
                crop_joints: Callable) -> tuple:
    """A dataset item: (clip uint8 [2, T, R, R], label) or, with keypoints float32 [T, K, 3], (clip, keypoints,
    label), both cut by the window's crop (the keypoints' move is found from the uncut masks)."""
    cut = torch.from_numpy(crop(clip))
    if joints is None:
        return cut, label
    return cut, torch.from_numpy(np.array(crop_joints(joints, clip[1]), np.float32)), label
