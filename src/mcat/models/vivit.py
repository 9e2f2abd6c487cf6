"""ViViT baseline (§4.2): tubelet embedding and *joint* space-time attention (ViViT "model 1").

::

    clip [B,2,T,H,W] ─▶ stack channels ─▶ Conv3d(kernel = stride = tubelet) ─▶ tokens [B, T/t·H/p·W/p, d]
                     ─▶ + 3-D sinusoidal PE ─▶ L × TransformerBlock ─▶ LN ─▶ mean ─▶ Linear ─▶ logits [B,C]

T, H and W must be divisible by the tubelet (2, 16, 16 by default: 8·7·7 = 392 tokens at 16×112×112).
The positional encoding is computed for the input's size, so one model serves any resolution.
"""

from __future__ import annotations

import torch
from torch import nn

from mcat.models.attention import TransformerBlock, sinusoidal_encoding
from mcat.models.inputs import in_channels, stacked


def positional_encoding_3d(t: int, h: int, w: int, d: int, device=None) -> torch.Tensor:
    """PE [t·h·w, d]: sinusoidal codes of the time, row and column index in separate channel groups."""
    d_t = d_h = 2 * (d // 6)
    d_w = d - d_t - d_h
    grid_t, grid_h, grid_w = torch.meshgrid(torch.arange(t, device=device), torch.arange(h, device=device),
                                            torch.arange(w, device=device), indexing="ij")
    parts = [sinusoidal_encoding(n, dim, device)[index.reshape(-1)]
             for n, dim, index in ((t, d_t, grid_t), (h, d_h, grid_h), (w, d_w, grid_w))]
    return torch.cat(parts, dim=1)


class ViViT(nn.Module):
    """uint8 clips [B, 2, T, H, W] → logits [B, num_classes] (see the module docstring)."""

    def __init__(self, *, num_classes: int, input_mode: str = "both", tubelet: tuple[int, int, int] = (2, 16, 16),
                 d: int = 256, heads: int = 8, ffn: int = 1024, depth: int = 4, dropout: float = 0.1):
        super().__init__()
        self.input_mode = input_mode
        self.embed = nn.Conv3d(in_channels(input_mode), d, kernel_size=tubelet, stride=tubelet)
        self.blocks = nn.Sequential(*(TransformerBlock(d=d, heads=heads, ffn=ffn, dropout=dropout)
                                      for _ in range(depth)))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, num_classes)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        x = self.embed(stacked(clips, self.input_mode).transpose(1, 2))  # [B, d, t, h, w]
        t, h, w = x.shape[2:]
        tokens = x.flatten(2).transpose(1, 2)
        tokens = tokens + positional_encoding_3d(t, h, w, tokens.shape[2], tokens.device).to(tokens.dtype)
        return self.head(self.norm(self.blocks(tokens)).mean(dim=1))
