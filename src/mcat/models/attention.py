"""Pre-norm attention blocks: the paper's cross-attention conditioning (§3.4) and temporal self-attention (§3.5)."""

from __future__ import annotations

import math

import torch
from torch import nn


def feed_forward(d: int, hidden: int, dropout: float) -> nn.Sequential:
    """Linear-GELU-Dropout-Linear-Dropout, [.., d] → [.., d]."""
    return nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, d), nn.Dropout(dropout))


class CrossAttentionBlock(nn.Module):
    """Appearance tokens query mask tokens (eqs. 5–7)::

        Q = LN(Z_rgb) W_Q,   K, V = LN(Z_mask) W_K, LN(Z_mask) W_V
        A = Z_rgb + softmax(Q Kᵀ / √(d/H)) V
        Ẑ = A + MLP(LN(A))                         (MLP hidden 4d, GELU)

    Args: d model width, heads H, ffn hidden width, dropout on attention weights and the MLP.
    Shapes: appearance, mask [B, T, d] → Ẑ [B, T, d]; with ``need_weights`` also α [B, H, T, T]
    (α[b, h, t, s]: relevance of mask token s to appearance token t).
    """

    def __init__(self, *, d: int = 256, heads: int = 8, ffn: int = 1024, dropout: float = 0.1):
        super().__init__()
        self.norm_q = nn.LayerNorm(d)
        self.norm_kv = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.norm_mlp = nn.LayerNorm(d)
        self.mlp = feed_forward(d, ffn, dropout)

    def forward(self, appearance: torch.Tensor, mask: torch.Tensor,
                need_weights: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        kv = self.norm_kv(mask)
        attended, weights = self.attn(self.norm_q(appearance), kv, kv, need_weights=need_weights,
                                      average_attn_weights=False)
        fused = appearance + attended
        return fused + self.mlp(self.norm_mlp(fused)), weights


class TransformerBlock(nn.Module):
    """Pre-norm self-attention block: x + MHSA(LN(x)), then + FFN(LN(·)). [B, N, d] → [B, N, d]."""

    def __init__(self, *, d: int = 256, heads: int = 8, ffn: int = 1024, dropout: float = 0.1):
        super().__init__()
        self.norm_attn = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.norm_ffn = nn.LayerNorm(d)
        self.ffn = feed_forward(d, ffn, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm_attn(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.ffn(self.norm_ffn(x))


def sinusoidal_encoding(length: int, d: int, device=None) -> torch.Tensor:
    """PE [length, d] (eq. 9): PE(t, 2i) = sin(t / 10000^(2i/d)), PE(t, 2i+1) = cos(·). d must be even."""
    position = torch.arange(length, dtype=torch.float32, device=device)[:, None]
    inv_freq = torch.exp(torch.arange(0, d, 2, dtype=torch.float32, device=device) * (-math.log(10000.0) / d))
    pe = torch.zeros(length, d, device=device)
    pe[:, 0::2] = torch.sin(position * inv_freq)
    pe[:, 1::2] = torch.cos(position * inv_freq)
    return pe


class TemporalTransformer(nn.Module):
    """Tokens [B, T, d] → pooled [B, d]: + sinusoidal PE, L pre-norm blocks, LayerNorm, mean over T (eqs. 8–10)."""

    def __init__(self, *, d: int = 256, heads: int = 8, ffn: int = 1024, depth: int = 4, dropout: float = 0.1):
        super().__init__()
        self.blocks = nn.Sequential(*(TransformerBlock(d=d, heads=heads, ffn=ffn, dropout=dropout)
                                      for _ in range(depth)))
        self.norm = nn.LayerNorm(d)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        tokens = tokens + sinusoidal_encoding(tokens.shape[1], tokens.shape[2], tokens.device).to(tokens.dtype)
        return self.norm(self.blocks(tokens)).mean(dim=1)
