"""Keypoint tokens: the third stream of MCAT (the paper's future work, "pose keypoints as additional spatial
priors")::

    keypoints [B, T, K, 3] ─ per frame: p·v, v ─▶ flatten [B, T, 3K] ─▶ Linear-GELU-Linear ─▶ [B, T, d]

x and y are in ``[0, 1]`` of the model's frame, v the joint's visibility (the layout of :mod:`mcat.pose.joints`); a
joint not seen (v = 0) enters as zeros wherever the pose source put it. The point p of a joint is read in one of two
frames (``pose_frame``):

- ``image``: the model's frame, p = (x − ½, y − ½): where the person stands and how large the camera shows them
  reach the model.
- ``body``: the clip's body, p = ((x, y) − c) / s, with c the mean of the joints seen in all T frames and s their
  root-mean-square distance from c. The motion within the clip stays; where the camera put the person, and how
  far away, does not.
"""

from __future__ import annotations

import torch
from torch import nn

POSE_FRAMES = ("image", "body")


def in_the_body_frame(pose: torch.Tensor) -> torch.Tensor:
    """Keypoints float [B, T, K, 3] → points [B, T, K, 2] relative to each clip's body: minus the mean of the joints
    seen in the clip, over their root-mean-square distance from it (joints not seen, and clips with none, give 0)."""
    seen = (pose[..., 2:] > 0).to(pose.dtype)
    count = seen.sum(dim=(1, 2), keepdim=True).clamp(min=1)
    centre = (pose[..., :2] * seen).sum(dim=(1, 2), keepdim=True) / count
    offset = (pose[..., :2] - centre) * seen
    size = (offset.square().sum(dim=(1, 2, 3), keepdim=True) / count).sqrt().clamp(min=1e-3)
    return offset / size


class PoseEncoder(nn.Module):
    """Keypoints float [B, T, K, 3] → pose tokens [B, T, d]: a small MLP over each frame's joint vector."""

    def __init__(self, *, joints: int, d: int, frame: str = "image"):
        super().__init__()
        if frame not in POSE_FRAMES:
            raise ValueError(f"pose_frame must be one of {POSE_FRAMES}, got '{frame}'")
        self.joints, self.frame = joints, frame
        self.mlp = nn.Sequential(nn.Linear(3 * joints, d), nn.GELU(), nn.Linear(d, d))

    def forward(self, pose: torch.Tensor) -> torch.Tensor:
        if pose.dim() != 4 or pose.shape[2:] != (self.joints, 3):
            raise ValueError(f"expected keypoints [B, T, {self.joints}, 3] (x, y, visibility), got {tuple(pose.shape)}")
        pose = pose.float()
        visibility = pose[..., 2:]
        points = in_the_body_frame(pose) if self.frame == "body" else pose[..., :2] - 0.5
        return self.mlp(torch.cat([points * visibility, visibility], dim=-1).flatten(2))
