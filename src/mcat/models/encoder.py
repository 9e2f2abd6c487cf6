"""The paper's 2-D frame encoder (eqs. 1–4), shared by every model but ViViT.

::

    [B, T, C, H, W] ─ per frame ─▶ Conv3×3-BN-ReLU-MaxPool2 ─▶ Conv3×3-BN-ReLU-MaxPool2
                                 ─▶ Conv3×3-BN-ReLU-AdaptiveAvgPool(1) ─▶ [B, T, channels[-1]]
"""

from __future__ import annotations

import torch
from torch import nn


def _block(c_in: int, c_out: int, pool: nn.Module) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True), pool)


class FrameEncoder(nn.Module):
    """Frames [B, T, C, H, W] → features [B, T, F] with F = channels[-1] (64 in the paper)."""

    def __init__(self, *, in_channels: int = 1, channels: tuple[int, int, int] = (16, 32, 64)):
        super().__init__()
        c1, c2, c3 = channels
        self.out_features = c3
        self.net = nn.Sequential(
            _block(in_channels, c1, nn.MaxPool2d(2)),
            _block(c1, c2, nn.MaxPool2d(2)),
            _block(c2, c3, nn.AdaptiveAvgPool2d(1)),
        )

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        b, t = frames.shape[:2]
        features = self.net(frames.flatten(0, 1))
        return features.view(b, t, self.out_features)
