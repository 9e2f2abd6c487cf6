"""The Mask Cross-Attention Transformer (§3) and its fusion ablations (Table 3).

::

    clip [B,2,T,H,W] ─▶ appearance stream ─▶ FrameEncoder ─▶ W_proj ─▶ Z_rgb  [B,T,d] ─┐ (queries)
                     └▶ mask stream       ─▶ FrameEncoder ─▶ W_proj ─▶ Z_mask [B,T,d] ─┴▶ CrossAttention ─▶ Ẑ
    Ẑ ─▶ + PE ─▶ L × TransformerBlock ─▶ LN ─▶ mean over T ─▶ Linear ─▶ logits [B, C]

Fusion: ``cross_attention`` (the paper), ``add`` (Z_rgb + Z_mask), ``concat`` (one encoder over the
2-channel stack), ``none`` (appearance stream only). Each stream has its own projection W_proj; with
these the default model has 4.03 M parameters for 17 classes (docs/architecture.md, budgets).

Pose keypoints (input modes ``both+pose``, ``mask+pose``, ``pose``; cross-attention only) add a third stream::

    keypoints [B,T,K,3] ─▶ PoseEncoder ─▶ Z_pose [B,T,d]      keys/values: Z_mask ‖ Z_pose  [B,2T,d]

``both+pose`` and ``mask+pose``: the appearance (gray, or mask) tokens query the mask and pose tokens together;
``pose``: no images, the pose tokens query themselves.
"""

from __future__ import annotations

import torch
from torch import nn

from mcat.models.attention import CrossAttentionBlock, TemporalTransformer
from mcat.models.encoder import FrameEncoder
from mcat.models.inputs import streams
from mcat.models.pose import PoseEncoder
from mcat.model_names import FUSIONS, reads_pose
from mcat.pose.joints import K


class MaskCrossAttentionTransformer(nn.Module):
    """uint8 clips [B, 2, T, H, W] (and keypoints [B, T, K, 3] in the pose modes) → logits [B, num_classes].
    See the module docstring for the data flow."""

    def __init__(self, *, num_classes: int, input_mode: str = "both", fusion: str = "cross_attention",
                 channels: tuple[int, int, int] = (16, 32, 64), d: int = 256, heads: int = 8, ffn: int = 1024,
                 depth: int = 4, dropout: float = 0.1, joints: int = K, pose_frame: str = "image"):
        super().__init__()
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got '{fusion}'")
        self.input_mode, self.fusion, self.reads_pose = input_mode, fusion, reads_pose(input_mode)
        if self.reads_pose and fusion != "cross_attention":
            raise ValueError(f"pose tokens join by cross-attention: input mode '{input_mode}' needs fusion "
                             f"cross_attention, not '{fusion}'")
        if pose_frame != "image" and not self.reads_pose:
            raise ValueError(f"pose_frame '{pose_frame}' is where keypoints are read: input mode '{input_mode}' reads "
                             "none (use mask+pose, both+pose or pose, or leave pose_frame out)")
        if self.reads_pose:
            self.pose_encoder = PoseEncoder(joints=joints, d=d, frame=pose_frame)
        if input_mode != "pose":
            c_in = 2 if fusion == "concat" else 1
            self.encoder = FrameEncoder(in_channels=c_in, channels=channels)
            self.project = nn.Linear(self.encoder.out_features, d)
        if fusion in ("cross_attention", "add") and input_mode != "pose":
            self.mask_encoder = FrameEncoder(in_channels=1, channels=channels)
            self.mask_project = nn.Linear(self.mask_encoder.out_features, d)
        if fusion == "cross_attention":
            self.cross = CrossAttentionBlock(d=d, heads=heads, ffn=ffn, dropout=dropout)
        self.temporal = TemporalTransformer(d=d, heads=heads, ffn=ffn, depth=depth, dropout=dropout)
        self.head = nn.Linear(d, num_classes)

    def frame_tokens(self, clips: torch.Tensor) -> torch.Tensor:
        """The part that sees one frame at a time: clips [B, 2, T, H, W] → tokens [B, T, S, d], per frame the
        appearance (query) and mask tokens (S = 2) for cross-attention, the fused token (S = 1) for the other
        fusions, none (S = 0) in the ``pose`` mode. A frame's tokens do not depend on the window it is in, so
        prediction computes them once per frame for all the windows and replays that hold it."""
        batch, _, time = clips.shape[:3]
        if self.input_mode == "pose":
            return clips.new_zeros((batch, time, 0, self.head.in_features), dtype=torch.float32)
        appearance, mask = streams(clips, self.input_mode)
        if self.fusion == "concat":
            return self.project(self.encoder(torch.stack([appearance, mask], dim=2))).unsqueeze(2)
        z_rgb = self.project(self.encoder(appearance.unsqueeze(2)))
        if self.fusion == "none":
            return z_rgb.unsqueeze(2)
        z_mask = self.mask_project(self.mask_encoder(mask.unsqueeze(2)))
        if self.fusion == "add":
            return (z_rgb + z_mask).unsqueeze(2)
        return torch.stack([z_rgb, z_mask], dim=2)

    def fused(self, tokens: torch.Tensor, pose: torch.Tensor | None = None,
              need_weights: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Frame tokens [B, T, S, d] (and keypoints [B, T, K, 3]) → Ẑ [B, T, d] and, for cross-attention with
        ``need_weights``, α [B, H, T, S'] (S' = T, or 2T with pose)."""
        if self.reads_pose != (pose is not None):
            raise ValueError(f"input mode '{self.input_mode}' " + ("reads keypoints: call model(clips, pose)"
                             if self.reads_pose else "reads no keypoints: call model(clips)"))
        if self.input_mode == "pose":
            z_pose = self.pose_encoder(pose)
            return self.cross(z_pose, z_pose, need_weights=need_weights)
        if self.fusion != "cross_attention":
            return tokens[:, :, 0], None
        z_rgb, z_mask = tokens.unbind(dim=2)
        if pose is not None:
            z_mask = torch.cat([z_mask, self.pose_encoder(pose)], dim=1)
        return self.cross(z_rgb, z_mask, need_weights=need_weights)

    def from_frame_tokens(self, tokens: torch.Tensor, pose: torch.Tensor | None = None) -> torch.Tensor:
        """Frame tokens [B, T, S, d] (:meth:`frame_tokens`) and keypoints [B, T, K, 3] → logits [B, num_classes]."""
        return self.head(self.temporal(self.fused(tokens, pose)[0]))

    def forward(self, clips: torch.Tensor, pose: torch.Tensor | None = None) -> torch.Tensor:
        return self.from_frame_tokens(self.frame_tokens(clips), pose)

    @torch.no_grad()
    def attention_maps(self, clips: torch.Tensor, pose: torch.Tensor | None = None) -> torch.Tensor:
        """Cross-attention weights α [B, H, T, S] (rows: appearance tokens t, columns: mask tokens s, then with
        pose the pose tokens: S = 2T)."""
        if self.fusion != "cross_attention":
            raise ValueError(f"fusion '{self.fusion}' has no cross-attention")
        return self.fused(self.frame_tokens(clips), pose, need_weights=True)[1]
