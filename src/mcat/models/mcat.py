"""The Mask Cross-Attention Transformer (§3) and its fusion ablations (Table 3).

::

    clip [B,2,T,H,W] ─▶ appearance stream ─▶ FrameEncoder ─▶ W_proj ─▶ Z_rgb  [B,T,d] ─┐ (queries)
                     └▶ mask stream       ─▶ FrameEncoder ─▶ W_proj ─▶ Z_mask [B,T,d] ─┴▶ CrossAttention ─▶ Ẑ
    Ẑ ─▶ + PE ─▶ L × TransformerBlock ─▶ LN ─▶ mean over T ─▶ Linear ─▶ logits [B, C]

Fusion: ``cross_attention`` (the paper), ``add`` (Z_rgb + Z_mask), ``concat`` (one encoder over the
2-channel stack), ``none`` (appearance stream only). Each stream has its own projection W_proj; with
these the default model has 4.03 M parameters for 17 classes (docs/architecture.md, budgets).
"""

from __future__ import annotations

import torch
from torch import nn

from mcat.models.attention import CrossAttentionBlock, TemporalTransformer
from mcat.models.encoder import FrameEncoder
from mcat.models.inputs import streams
from mcat.model_names import FUSIONS



class MaskCrossAttentionTransformer(nn.Module):
    """uint8 clips [B, 2, T, H, W] → logits [B, num_classes]. See the module docstring for the data flow."""

    def __init__(self, *, num_classes: int, input_mode: str = "both", fusion: str = "cross_attention",
                 channels: tuple[int, int, int] = (16, 32, 64), d: int = 256, heads: int = 8, ffn: int = 1024,
                 depth: int = 4, dropout: float = 0.1):
        super().__init__()
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got '{fusion}'")
        self.input_mode, self.fusion = input_mode, fusion
        c_in = 2 if fusion == "concat" else 1
        self.encoder = FrameEncoder(in_channels=c_in, channels=channels)
        self.project = nn.Linear(self.encoder.out_features, d)
        if fusion in ("cross_attention", "add"):
            self.mask_encoder = FrameEncoder(in_channels=1, channels=channels)
            self.mask_project = nn.Linear(self.mask_encoder.out_features, d)
        if fusion == "cross_attention":
            self.cross = CrossAttentionBlock(d=d, heads=heads, ffn=ffn, dropout=dropout)
        self.temporal = TemporalTransformer(d=d, heads=heads, ffn=ffn, depth=depth, dropout=dropout)
        self.head = nn.Linear(d, num_classes)

    def fused_tokens(self, clips: torch.Tensor, need_weights: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Ẑ [B, T, d] and, for cross-attention with ``need_weights``, α [B, H, T, T]."""
        appearance, mask = streams(clips, self.input_mode)
        if self.fusion == "concat":
            return self.project(self.encoder(torch.stack([appearance, mask], dim=2))), None
        z_rgb = self.project(self.encoder(appearance.unsqueeze(2)))
        if self.fusion == "none":
            return z_rgb, None
        z_mask = self.mask_project(self.mask_encoder(mask.unsqueeze(2)))
        if self.fusion == "add":
            return z_rgb + z_mask, None
        return self.cross(z_rgb, z_mask, need_weights=need_weights)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        return self.head(self.temporal(self.fused_tokens(clips)[0]))

    @torch.no_grad()
    def attention_maps(self, clips: torch.Tensor) -> torch.Tensor:
        """Cross-attention weights α [B, H, T, T] (rows: appearance tokens t, columns: mask tokens s)."""
        if self.fusion != "cross_attention":
            raise ValueError(f"fusion '{self.fusion}' has no cross-attention")
        return self.fused_tokens(clips, need_weights=True)[1]
