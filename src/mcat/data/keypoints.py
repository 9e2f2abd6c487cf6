"""Keypoints moved with the pixels: what a crop or a mirror of the frames does to a clip's joints.

Keypoints are float [..., K, 3] in the layout of :mod:`mcat.pose.joints`: x, y in ``[0, 1]`` of the frame and
a visibility; a joint not seen is (0, 0, 0). A joint that a crop leaves outside the new frame becomes not seen,
as a pose model would report it on the cropped frames.
"""

from __future__ import annotations

import torch

from mcat.pose.joints import JOINTS

#: the joint each joint becomes in a mirrored frame: a person's left arm is seen as a right arm
MIRRORED = [JOINTS.index(j[:-1] + {"l": "r", "r": "l"}[j[-1]]) if j[-2:] in ("_l", "_r") else i
            for i, j in enumerate(JOINTS)]


def reframe(joints: torch.Tensor, left: torch.Tensor, top: torch.Tensor, width: torch.Tensor,
            height: torch.Tensor) -> torch.Tensor:
    """Keypoints [B, T, K, 3] → the same joints in the window of each clip's frame at (left, top) of size width ×
    height (each [B], in ``[0, 1]`` units of the old frame). Joints that land outside the window are not seen."""
    view = (-1, 1, 1)
    x = (joints[..., 0] - left.view(view)) / width.view(view)
    y = (joints[..., 1] - top.view(view)) / height.view(view)
    seen = (joints[..., 2] > 0) & (x >= 0) & (x <= 1) & (y >= 0) & (y <= 1)
    return torch.stack([x, y, joints[..., 2]], dim=-1) * seen.unsqueeze(-1)


def mirror(joints: torch.Tensor, flip: torch.Tensor) -> torch.Tensor:
    """Keypoints [B, T, K, 3] of the clips where ``flip`` [B] (bool) is set, mirrored left to right: x → 1 − x for the
    joints seen, and left and right swapped."""
    mirrored = joints[:, :, MIRRORED].clone()
    mirrored[..., 0] = torch.where(mirrored[..., 2] > 0, 1 - mirrored[..., 0], 0.0)
    return torch.where(flip.view(-1, 1, 1, 1), mirrored, joints)
