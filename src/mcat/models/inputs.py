"""The one input every model takes, and the streams each input mode feeds.

Input: uint8 [B, 2, T, H, W] — channel 0 grayscale (0–255), channel 1 binary person mask (0/1). A floating
tensor of the same shape is taken as already normalised (gray in [0, 1]), which lets augmentation on the
device hand over float clips without a round trip through uint8. The modes that read pose
(:data:`mcat.model_names.POSE_MODES`) also take keypoints [B, T, K, 3] (:mod:`mcat.models.pose`): ``both+pose``
and ``mask+pose`` feed their images as ``both`` and ``mask`` do, ``pose`` feeds none.
"""

from __future__ import annotations

import torch


def normalise(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """[B, 2, T, H, W] → (gray, mask), each float [B, T, H, W]; gray in [0, 1]."""
    if x.dim() != 5 or x.shape[1] != 2:
        raise ValueError(f"expected clips [B, 2, T, H, W] (gray, mask), got {tuple(x.shape)}")
    if x.dtype == torch.uint8:
        return x[:, 0].float() / 255.0, x[:, 1].float()
    return x[:, 0].float(), x[:, 1].float()


def streams(x: torch.Tensor, input_mode: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The (appearance, mask) streams [B, T, H, W] for an input mode.

    ``both``: (gray, mask). ``raw``: (gray, gray). ``mask``: (mask, mask) — in the single-modality modes
    both streams see the same channel, our reading of the paper's RAW/MASK rows for a two-stream model.
    """
    gray, mask = normalise(x)
    if input_mode in ("both", "both+pose"):
        return gray, mask
    if input_mode == "raw":
        return gray, gray
    return mask, mask


def stacked(x: torch.Tensor, input_mode: str) -> torch.Tensor:
    """Channel-stacked frames [B, T, C, H, W] for single-encoder models: C = 2 for ``both`` (the paper's
    concatenation baseline), else 1."""
    gray, mask = normalise(x)
    if input_mode == "both":
        return torch.stack([gray, mask], dim=2)
    return (gray if input_mode == "raw" else mask).unsqueeze(2)


def in_channels(input_mode: str) -> int:
    return 2 if input_mode == "both" else 1
