"""The temporal baselines of §4.2: one frame encoder over channel-stacked frames, then a temporal model.

::

    clip [B,2,T,H,W] ─▶ stack channels (RAW: gray, MASK: mask, BOTH: gray‖mask) ─▶ FrameEncoder ─▶ [B,T,F]
                     ─▶ temporal model ─▶ [B,D] ─▶ Linear ─▶ logits [B,C]

Temporal models: ``MeanMLP`` (mean over T, then the first layer of a 2-layer MLP whose second layer is the
head), ``BiLSTM`` (bidirectional, hidden 256, mean of outputs), ``TCN`` (4 residual dilated conv layers,
kernel 3, dilations 1, 2, 4, 8), and the temporal transformer shared with MCAT.
"""

from __future__ import annotations

import torch
from torch import nn

from mcat.models.attention import TemporalTransformer
from mcat.models.encoder import FrameEncoder
from mcat.models.inputs import in_channels, stacked


class FrameFeatureClassifier(nn.Module):
    """uint8 clips [B, 2, T, H, W] → logits [B, C] through ``temporal``: [B, T, F] → [B, temporal.out_features]."""

    def __init__(self, *, num_classes: int, input_mode: str, channels: tuple[int, int, int], temporal: nn.Module):
        super().__init__()
        self.input_mode = input_mode
        self.encoder = FrameEncoder(in_channels=in_channels(input_mode), channels=channels)
        self.temporal = temporal
        self.head = nn.Linear(temporal.out_features, num_classes)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        return self.head(self.temporal(self.encoder(stacked(clips, self.input_mode))))


class MeanMLP(nn.Module):
    """[B, T, F] → mean over T → Linear(F, hidden) → GELU → Dropout → [B, hidden]."""

    def __init__(self, *, features: int, hidden: int = 256, dropout: float = 0.1):
        super().__init__()
        self.out_features = hidden
        self.net = nn.Sequential(nn.Linear(features, hidden), nn.GELU(), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.mean(dim=1))


class BiLSTM(nn.Module):
    """[B, T, F] → bidirectional LSTM (hidden per direction) → mean over T → [B, 2·hidden]."""

    def __init__(self, *, features: int, hidden: int = 256, layers: int = 1, dropout: float = 0.1):
        super().__init__()
        self.out_features = 2 * hidden
        self.lstm = nn.LSTM(features, hidden, num_layers=layers, batch_first=True, bidirectional=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.lstm(x)[0].mean(dim=1))


class TCN(nn.Module):
    """[B, T, F] → 1×1 conv to ``width`` → residual blocks (Conv1d k, dilation δ, 'same' padding, BN, ReLU,
    Dropout) for δ in ``dilations`` → mean over T → [B, width]."""

    def __init__(self, *, features: int, width: int = 256, kernel: int = 3,
                 dilations: tuple[int, ...] = (1, 2, 4, 8), dropout: float = 0.1):
        super().__init__()
        self.out_features = width
        self.inp = nn.Conv1d(features, width, 1)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv1d(width, width, kernel, dilation=dil, padding=dil * (kernel - 1) // 2),
                          nn.BatchNorm1d(width), nn.ReLU(inplace=True), nn.Dropout(dropout))
            for dil in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x.transpose(1, 2))
        for block in self.blocks:
            h = h + block(h)
        return h.mean(dim=2)


class ProjectedTransformer(nn.Module):
    """[B, T, F] → Linear(F, d) → the temporal transformer (PE, L blocks, LN, mean) → [B, d]."""

    def __init__(self, *, features: int, d: int = 256, heads: int = 8, ffn: int = 1024, depth: int = 4,
                 dropout: float = 0.1):
        super().__init__()
        self.out_features = d
        self.project = nn.Linear(features, d)
        self.transformer = TemporalTransformer(d=d, heads=heads, ffn=ffn, depth=depth, dropout=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.transformer(self.project(x))
