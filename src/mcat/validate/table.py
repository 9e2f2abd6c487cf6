"""The table the gate checks: one row per recording, from the store, the masks and ``quality.csv``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mcat.data.store import MaskStore, PoseStore, Store
from mcat.errors import McatError
from mcat.pose.joints import K


def recording_table(store_dir: Path, masks_dir: Path, pose_dir: Path | None = None) -> tuple[pd.DataFrame, int]:
    """(table, number of classes). Columns: recording_id, split, frames, labels, masks, label_min, label_max,
    and the masks' quality.csv (coverage_mean, coverage_std, empty_ratio, flicker, iou_vs_provided); with
    ``pose_dir``, pose_frames and the keypoints' quality.csv prefixed ``pose_`` (pose_empty_ratio,
    pose_missing_joints, pose_jitter, ...)."""
    store, mask_store = Store(store_dir), MaskStore(masks_dir)
    quality_file = mask_store.quality_path
    if not quality_file.is_file():
        raise McatError(f"{quality_file} is missing: run `mcat masks` before `mcat validate`")
    quality = pd.read_csv(quality_file)
    rows = []
    for rec in store.recordings:
        labels, frames = np.asarray(store.labels(rec.recording_id)), store.frames(rec.recording_id)
        present = mask_store.path(rec.recording_id).is_file()  # a count that differs is the gate's to report
        masks = mask_store.masks(rec.recording_id, (None, *frames.shape[1:])) if present else ()
        rows.append({"recording_id": rec.recording_id, "split": rec.split, "frames": len(frames),
                     "labels": len(labels), "masks": len(masks),
                     "label_min": int(labels.min()), "label_max": int(labels.max())})
    table = pd.DataFrame(rows).merge(quality.drop(columns=["frames"]), on="recording_id", how="left")
    if pose_dir is not None:
        table = table.merge(_pose_columns(store, PoseStore(pose_dir)), on="recording_id", how="left")
    return table, len(store.class_names)


def _pose_columns(store: Store, poses: PoseStore) -> pd.DataFrame:
    if not poses.quality_path.is_file():
        raise McatError(f"{poses.quality_path} is missing: run `mcat pose` before `mcat validate`")
    quality = pd.read_csv(poses.quality_path).drop(columns=["frames"])
    counts = [{"recording_id": r.recording_id,
               "pose_frames": len(poses.pose(r.recording_id, None, K)) if poses.path(r.recording_id).is_file() else 0}
              for r in store.recordings]
    quality = quality.rename(columns={c: f"pose_{c}" for c in quality.columns if c != "recording_id"})
    return pd.DataFrame(counts).merge(quality, on="recording_id", how="left")
