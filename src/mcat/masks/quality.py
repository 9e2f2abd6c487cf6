"""Mask quality statistics, as the paper reports them (coverage, empty-mask ratio) plus temporal flicker."""

from __future__ import annotations

import numpy as np

QUALITY_COLUMNS = ("recording_id", "frames", "coverage_mean", "coverage_std", "empty_ratio", "flicker")


def mask_quality(masks: np.ndarray) -> dict[str, float]:
    """Statistics of binary masks uint8 {0,1} [N, H, W].

    coverage: share of the frame marked as person; empty_ratio: share of frames with no person pixel;
    flicker: mean of 1 - IoU between consecutive masks (over pairs where either is non-empty).
    """
    flat = np.asarray(masks, bool).reshape(len(masks), -1)
    coverage = flat.mean(axis=1)
    inter = (flat[1:] & flat[:-1]).sum(axis=1)
    union = (flat[1:] | flat[:-1]).sum(axis=1)
    pairs = union > 0
    flicker = float(np.mean(1 - inter[pairs] / union[pairs])) if pairs.any() else 0.0
    return {"frames": int(len(flat)), "coverage_mean": float(coverage.mean()), "coverage_std": float(coverage.std()),
            "empty_ratio": float(np.mean(coverage == 0)), "flicker": flicker}
