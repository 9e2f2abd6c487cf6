"""The joint set every pose source shares, and the keypoint array layout.

A pose array is float32 [N, K, 3] per recording: for each of N frames and each of the K joints of
:data:`JOINTS`, x and y in ``[0, 1]`` of the frame (left to right, top to bottom) and a visibility in ``[0, 1]``
(0: not found, out of view or hidden by something that is not the person; x, y are then 0). ``left`` and
``right`` are the person's own. The set is what the renderer, MediaPipe BlazePose (33 landmarks) and COCO
keypoints (YOLO-pose, 17) all have: the head as one point (the renderer's head centre; the midpoint of the ears
for the others) and twelve limb joints.
"""

from __future__ import annotations

import numpy as np

JOINTS = ("head", "shoulder_l", "shoulder_r", "elbow_l", "elbow_r", "wrist_l", "wrist_r",
          "hip_l", "hip_r", "knee_l", "knee_r", "ankle_l", "ankle_r")
K = len(JOINTS)
#: limb joints by name, and the head's two source points, in BlazePose's 33 landmarks and COCO's 17 keypoints
BLAZEPOSE = {"head": (7, 8), "shoulder_l": 11, "shoulder_r": 12, "elbow_l": 13, "elbow_r": 14, "wrist_l": 15,
             "wrist_r": 16, "hip_l": 23, "hip_r": 24, "knee_l": 25, "knee_r": 26, "ankle_l": 27, "ankle_r": 28}
COCO = {"head": (3, 4), "shoulder_l": 5, "shoulder_r": 6, "elbow_l": 7, "elbow_r": 8, "wrist_l": 9, "wrist_r": 10,
        "hip_l": 11, "hip_r": 12, "knee_l": 13, "knee_r": 14, "ankle_l": 15, "ankle_r": 16}


def select(points: np.ndarray, mapping: dict[str, int | tuple[int, int]]) -> np.ndarray:
    """A source's keypoints float [..., S, C] → the shared set float32 [..., K, C] (a pair: its mean)."""
    rows = [points[..., list(mapping[j]), :].mean(axis=-2) if isinstance(mapping[j], tuple)
            else points[..., mapping[j], :] for j in JOINTS]
    return np.stack(rows, axis=-2).astype(np.float32)


def missing(size: int) -> np.ndarray:
    """float32 [size, K, 3] of zeros: no joint found in any of ``size`` frames."""
    return np.zeros((size, K, 3), np.float32)
