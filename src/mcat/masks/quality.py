"""Mask quality statistics, as the paper reports them (coverage, empty-mask ratio), plus temporal flicker and,
where the dataset ships masks, agreement with them."""

from __future__ import annotations

import numpy as np

QUALITY_COLUMNS = ("recording_id", "frames", "coverage_mean", "coverage_std", "empty_ratio", "flicker",
                   "iou_vs_provided")


def mean_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Mean per-frame IoU of masks [N, H, W] over the frames where either is non-empty (1.0 if none is)."""
    a = np.asarray(a, bool).reshape(len(a), -1)
    b = np.asarray(b, bool).reshape(len(b), -1)
    union = (a | b).sum(axis=1)
    inter = (a & b).sum(axis=1)
    seen = union > 0
    return float(np.mean(inter[seen] / union[seen])) if seen.any() else 1.0


def mask_quality(masks: np.ndarray, provided: np.ndarray | None = None) -> dict[str, float]:
    """Statistics of binary masks uint8 {0,1} [N, H, W].

    coverage: share of the frame marked as person; empty_ratio: share of frames with no person pixel;
    flicker: mean of 1 - IoU between consecutive masks (over pairs where either is non-empty);
    iou_vs_provided: mean IoU against the dataset's own masks [N, H, W] (NaN without them).
    """
    flat = np.asarray(masks, bool).reshape(len(masks), -1)
    coverage = flat.mean(axis=1)
    flicker = 1 - mean_iou(flat[1:], flat[:-1]) if len(flat) > 1 else 0.0
    return {"frames": int(len(flat)), "coverage_mean": float(coverage.mean()), "coverage_std": float(coverage.std()),
            "empty_ratio": float(np.mean(coverage == 0)), "flicker": float(flicker),
            "iou_vs_provided": mean_iou(masks, provided) if provided is not None else float("nan")}
