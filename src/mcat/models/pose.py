"""Keypoint tokens: the third stream of MCAT (the paper's future work, "pose keypoints as additional spatial
priors")::

    keypoints [B, T, K, 3] ─ per frame: (x − ½, y − ½) · v, v ─▶ flatten [B, T, 3K] ─▶ Linear-GELU-Linear ─▶ [B, T, d]

x and y are in ``[0, 1]`` of the model's frame, v the joint's visibility (the layout of :mod:`mcat.pose.joints`); a
joint not seen (v = 0) enters as zeros wherever the pose source put it.
"""

from __future__ import annotations

import torch
from torch import nn


class PoseEncoder(nn.Module):
    """Keypoints float [B, T, K, 3] → pose tokens [B, T, d]: a small MLP over each frame's joint vector."""

    def __init__(self, *, joints: int, d: int):
        super().__init__()
        self.joints = joints
        self.mlp = nn.Sequential(nn.Linear(3 * joints, d), nn.GELU(), nn.Linear(d, d))

    def forward(self, pose: torch.Tensor) -> torch.Tensor:
        if pose.dim() != 4 or pose.shape[2:] != (self.joints, 3):
            raise ValueError(f"expected keypoints [B, T, {self.joints}, 3] (x, y, visibility), got {tuple(pose.shape)}")
        pose = pose.float()
        visibility = pose[..., 2:]
        centred = torch.cat([(pose[..., :2] - 0.5) * visibility, visibility], dim=-1)
        return self.mlp(centred.flatten(2))
