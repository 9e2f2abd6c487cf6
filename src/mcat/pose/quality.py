"""Keypoint quality statistics, beside the masks' (:mod:`mcat.masks.quality`): how often nobody is found, how
many joints are missing, how much they jitter, and where the dataset ships exact joints (the renderer's), how far
they are from them."""

from __future__ import annotations

import numpy as np

QUALITY_COLUMNS = ("recording_id", "frames", "empty_ratio", "missing_joints", "jitter", "error_vs_provided",
                   "pck_vs_provided")
PCK_RADIUS = 0.05  # a joint within 5% of the frame's side of the exact one counts as correct


def pose_quality(pose: np.ndarray, min_visibility: float, provided: np.ndarray | None = None) -> dict[str, float]:
    """Statistics of keypoints float32 [N, K, 3] (x, y in ``[0, 1]`` of the frame, visibility).

    empty_ratio: share of frames with no joint seen (visibility ≥ ``min_visibility``); missing_joints: share of
    joints not seen in the other frames; jitter: mean length of a seen joint's second difference over three
    consecutive frames (steady motion gives 0, frame-to-frame noise does not), in frame units;
    error_vs_provided: mean distance to the dataset's exact joints [N, K, 3] where both are seen, and
    pck_vs_provided the share of those within :data:`PCK_RADIUS` (NaN without exact joints).
    """
    seen = pose[..., 2] >= min_visibility
    found = seen.any(axis=1)
    steady = seen[2:] & seen[1:-1] & seen[:-2]
    second = pose[2:, :, :2] - 2 * pose[1:-1, :, :2] + pose[:-2, :, :2]
    nan = float("nan")
    row = {"frames": int(len(pose)), "empty_ratio": float(1 - found.mean()) if len(pose) else 1.0,
           "missing_joints": float(1 - seen[found].mean()) if found.any() else 1.0,
           "jitter": float(np.linalg.norm(second, axis=-1)[steady].mean()) if steady.any() else nan,
           "error_vs_provided": nan, "pck_vs_provided": nan}
    if provided is not None:
        both = seen & (provided[..., 2] > 0)
        if both.any():
            error = np.linalg.norm(pose[..., :2] - provided[..., :2], axis=-1)[both]
            row.update(error_vs_provided=float(error.mean()), pck_vs_provided=float(np.mean(error <= PCK_RADIUS)))
    return row
