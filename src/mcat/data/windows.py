"""``mcat windows``: sliding windows over every recording, as an index (no pixels are copied).

A window is (recording_id, start) covering frames [start, start + T); its label is the label of frame
``start + T // 2`` (the paper's smart-middle labelling). Windows never cross a recording's end.

Output::

    <out>/<split>.csv    recording_id, start, label
    <out>/stats.json     T, stride, windows and class counts per split, KL(train‖test) over window labels
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcat.atomic import atomic_dir
from mcat.config import WindowsParams
from mcat.data.store import Store
from mcat.errors import McatError
from mcat.stats import class_counts, distribution_table, kl_divergence


@dataclass(frozen=True)
class WindowsResult:
    out: Path
    windows: dict[str, int]
    kl_train_test: float
    summary: str


def window_starts(n_frames: int, T: int, stride: int) -> np.ndarray:
    """Start frames int64 [W] of every window that fits inside ``n_frames``."""
    return np.arange(0, max(n_frames - T + 1, 0), stride, dtype=np.int64)


def window_labels(labels: np.ndarray, starts: np.ndarray, T: int) -> np.ndarray:
    """The label of each window's centre frame ``start + T // 2``: int64 [W]."""
    return np.asarray(labels, np.int64)[starts + T // 2]


def check_masks(masks_dir: Path, rid: str, n_frames: int) -> None:
    path = Path(masks_dir) / f"{rid}.npy"
    if not path.is_file():
        raise McatError(f"{path} is missing: run `mcat masks` before `mcat windows`")
    shape = np.load(path, mmap_mode="r").shape
    if shape[0] != n_frames:
        raise McatError(f"{path} has {shape[0]} masks for {n_frames} frames: run `mcat masks` again")


def make_windows(params: WindowsParams, store_dir: Path, masks_dir: Path, out: Path) -> WindowsResult:
    """Index the windows of every recording in the store, one CSV per split."""
    store = Store(store_dir)
    num_classes = len(store.class_names)
    per_split: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}
    too_short = []
    for rec in store.recordings:
        check_masks(masks_dir, rec.recording_id, rec.n_frames)
        starts = window_starts(rec.n_frames, params.T, params.stride)
        if not len(starts):
            too_short.append(rec.recording_id)
        labels = window_labels(store.labels(rec.recording_id), starts, params.T)
        per_split.setdefault(rec.split, []).append((rec.recording_id, starts, labels))
    counts = {split: class_counts(np.concatenate([lab for _, _, lab in items]), num_classes)
              for split, items in per_split.items()}
    if sum(c.sum() for c in counts.values()) == 0:
        raise McatError(f"no recording has {params.T} frames: lower windows.T or check the store at {store_dir}")
    kl = kl_divergence(counts["train"], counts["test"]) if {"train", "test"} <= set(counts) else float("nan")
    with atomic_dir(out) as tmp:
        for split, items in per_split.items():
            with open(tmp / f"{split}.csv", "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["recording_id", "start", "label"])
                for rid, starts, labels in items:
                    writer.writerows((rid, int(s), int(lab)) for s, lab in zip(starts, labels))
        stats = {
            "T": params.T, "stride": params.stride, "label_frame": params.T // 2, "class_names": store.class_names,
            "windows": {s: int(c.sum()) for s, c in counts.items()},
            "class_counts": {s: c.tolist() for s, c in counts.items()},
            "kl_train_test_nats": kl, "recordings_shorter_than_T": too_short,
        }
        (tmp / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    summary = distribution_table(counts, store.class_names) + f"\nKL(train||test) = {kl:.3f} nats (window labels)"
    return WindowsResult(Path(out), {s: int(c.sum()) for s, c in counts.items()}, kl, summary)
