"""``mcat windows``: sliding windows over every recording, as an index (no pixels are copied).

Windows follow the rule of :mod:`mcat.data.windowing` (a window is labelled by its centre frame).

Output::

    <out>/<split>.csv    recording_id, start, label
    <out>/stats.json     T, stride, the crop of each clip (:mod:`mcat.data.person_crop`), windows and class counts
                         per split, KL(train‖test) over window labels
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcat.atomic import atomic_dir
from mcat.config import WindowsParams
from mcat.data.store import MaskStore, Store
from mcat.data.windowing import label_frame, window_labels, window_starts
from mcat.errors import McatError
from mcat.stats import class_counts, distribution_table, kl_divergence


@dataclass(frozen=True)
class WindowsResult:
    out: Path
    windows: dict[str, int]
    kl_train_test: float
    summary: str


def make_windows(params: WindowsParams, store_dir: Path, masks_dir: Path, out: Path) -> WindowsResult:
    """Index the windows of every recording in the store, one CSV per split."""
    store, mask_store = Store(store_dir), MaskStore(masks_dir)
    num_classes = len(store.class_names)
    per_split: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}
    too_short = []
    for rec in store.recordings:
        mask_store.masks(rec.recording_id, store.frames(rec.recording_id).shape)  # present, intact, one per frame
        starts = window_starts(rec.n_frames, params.T, params.stride)
        if not len(starts):
            too_short.append(rec.recording_id)
        labels = window_labels(store.labels(rec.recording_id), starts, params.T)
        per_split.setdefault(rec.split, []).append((rec.recording_id, starts, labels))
    counts = {split: class_counts(np.concatenate([lab for _, _, lab in items]), num_classes)
              for split, items in per_split.items()}
    for split, count in counts.items():
        if count.sum() == 0:
            longest = max(r.n_frames for r in store.recordings if r.split == split)
            raise McatError(f"split '{split}' gets no window: its longest recording has {longest} frames, fewer than "
                            f"windows.T={params.T}; lower windows.T (or add longer {split} recordings)")
    kl = kl_divergence(counts["train"], counts["test"]) if {"train", "test"} <= set(counts) else float("nan")
    with atomic_dir(out) as tmp:
        for split, items in per_split.items():
            with open(tmp / f"{split}.csv", "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["recording_id", "start", "label"])
                for rid, starts, labels in items:
                    writer.writerows((rid, int(s), int(lab)) for s, lab in zip(starts, labels))
        stats = {
            "T": params.T, "stride": params.stride, "label_frame": label_frame(params.T), "crop": params.crop,
            "crop_margin": params.crop_margin, "class_names": store.class_names,
            "windows": {s: int(c.sum()) for s, c in counts.items()},
            "class_counts": {s: c.tolist() for s, c in counts.items()},
            "kl_train_test_nats": kl, "recordings_shorter_than_T": too_short,
        }
        (tmp / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    summary = distribution_table(counts, store.class_names) + f"\nKL(train||test) = {kl:.3f} nats (window labels)"
    return WindowsResult(Path(out), {s: int(c.sum()) for s, c in counts.items()}, kl, summary)
