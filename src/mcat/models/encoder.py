"""The paper's 2-D frame encoder (eqs. 1–4), shared by every model but ViViT.

::

    [B, T, C, H, W] ─ per frame ─▶ Conv3×3-BN-ReLU-MaxPool2 ─▶ Conv3×3-BN-ReLU-MaxPool2
                                 ─▶ Conv3×3-BN-ReLU-AdaptiveAvgPool(1) ─▶ [B, T, channels[-1]]

The first two blocks run their ReLU after the max-pool: ReLU is monotone, so it commutes with a maximum and
Conv-BN-MaxPool-ReLU is the paper's Conv-BN-ReLU-MaxPool to the bit, forward and backward (the max-pool keeps the
same element, and where the maximum is not positive the gradient is zero either way), with the ReLU's two
memory-bound passes over a quarter of the pixels (docs/performance.md). ReLU does not commute with the last
block's average, which keeps the paper's order.
"""

from __future__ import annotations

import torch
from torch import nn


def _block(c_in: int, c_out: int, pool: nn.Module) -> nn.Sequential:
    """Conv3×3-BN, then the ReLU and ``pool``: the ReLU after a max-pool, before an average (module docstring)."""
    relu = nn.ReLU(inplace=True)
    head = (nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out))
    return nn.Sequential(*head, *((pool, relu) if isinstance(pool, nn.MaxPool2d) else (relu, pool)))


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


def in_the_papers_order(model: nn.Module) -> nn.Module:
    """``model`` with every block of its frame encoders back in the paper's Conv-BN-ReLU-pool order, in place (the
    same modules, so the same parameters and function). ONNX export writes this graph, where ONNX Runtime fuses each
    ReLU into the convolution before it and static int8 quantizes the ReLU's output range (with the ReLU after the
    max-pool, static int8 of the demo model lost 2.9 points of macro-F1 instead of 0.4); it is also the reference the
    reordered blocks are compared with (tests, ``bench/models_bench.py``)."""
    for encoder in [m for m in model.modules() if isinstance(m, FrameEncoder)]:
        for i, block in enumerate(encoder.net):
            relu = next(m for m in block if isinstance(m, nn.ReLU))
            pool = next(m for m in block if isinstance(m, (nn.MaxPool2d, nn.AdaptiveAvgPool2d)))
            encoder.net[i] = nn.Sequential(block[0], block[1], relu, pool)
    return model
