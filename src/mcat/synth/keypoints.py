"""Where a pose model puts each keypoint on a rendered body: the skeleton's joints moved along the body.

The renderer's joints are the points its limbs turn about. Pose models learn keypoints that people marked on
photos: the top of the shoulder, the ankle bone, the ears for the head. On the renderer's own people, BlazePose
puts them at a steady distance from the joints along the body's axis (mid-hip to mid-shoulder), the same in the
train, validation and test renders (``python bench/pose_gap_bench.py --estimated DIR`` prints it): its shoulders
sit higher, its ankles and knees higher, its head lower. Keypoints placed as a pose model places them train the
better model (docs/results.md, 5 seeds: +3.1 ± 2.0 test macro-F1 in distribution, +1.7 ± 3.5 on BlazePose's
keypoints), so the keypoints of :mod:`mcat.pose.joints` that the renderer records are its joints moved by
:data:`OFFSETS`.
"""

from __future__ import annotations

import numpy as np

from mcat.pose.joints import JOINTS as KEYPOINTS
from mcat.synth.body import J

#: Per keypoint, body heights toward the head along the body's axis: BlazePose's median offsets on the demo's
#: training renders (mcat.pose.joints' layout, left and right averaged), measured in units of the body's extent
#: (0.93 of its height standing) and converted.
OFFSETS = {"head": -0.012, "shoulder": 0.034, "elbow": 0.014, "wrist": 0.007, "hip": 0.004, "knee": 0.023,
           "ankle": 0.040}


def keypoints(joints: np.ndarray) -> np.ndarray:
    """Skeleton joints float [N, len(mcat.synth.body.JOINTS), 3] (any frame: body, world) → the keypoints of
    :data:`mcat.pose.joints.JOINTS` float [N, K, 3], where a pose model puts them."""
    hips = (joints[:, J["hip_l"]] + joints[:, J["hip_r"]]) / 2
    shoulders = (joints[:, J["shoulder_l"]] + joints[:, J["shoulder_r"]]) / 2
    axis = shoulders - hips
    axis = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    offsets = np.array([OFFSETS[name.removesuffix("_l").removesuffix("_r")] for name in KEYPOINTS])
    return joints[:, [J[name] for name in KEYPOINTS]] + offsets[None, :, None] * axis[:, None, :]
