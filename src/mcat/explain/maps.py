"""Where a model looks: Grad-CAM maps of its spatial layers (the ``grad-cam`` library) and MCAT's cross-attention
weights, for any model of the zoo.

The CAM layer of each model (:func:`cam_layers`):

- ``appearance`` and ``mask``: the last convolution block (after ReLU, at H/4 × W/4) of MCAT's two frame
  encoders: the paper's Fig. 2 maps. MCAT with ``concat`` fusion and the temporal baselines have one encoder over
  the channel-stacked frames: ``frames``. MCAT with ``none`` fusion has only ``appearance``.
- ViViT has no per-frame encoder: ``tubelets`` is the last transformer block's first LayerNorm (the usual
  ViT target), its tokens laid back on the tubelet grid; each map covers the tubelet's frames.

grad-cam takes an image batch [N, C, H, W] and a model of it; :class:`ClipsAsImages` shows it a clip batch as
[B, 2·T, H, W], so the maps come back one per frame, [B·T, H, W] (per tubelet for ViViT), each scaled to [0, 1]
on its own (the library's convention: compare where within a frame, not how much across frames).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

from mcat.errors import McatError
from mcat.models.baselines import FrameFeatureClassifier
from mcat.models.mcat import MaskCrossAttentionTransformer
from mcat.models.vivit import ViViT


class ClipsAsImages(nn.Module):
    """``model`` seen as an image model: float [B, 2·T, H, W] (T gray frames in [0, 1], then T masks) → logits;
    a model that reads keypoints gets ``pose`` [B, T, K, 3] beside them, held fixed."""

    def __init__(self, model: nn.Module, T: int, pose: torch.Tensor | None = None):
        super().__init__()
        self.model, self.T, self.pose = model, T, pose

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        clips = images.unflatten(1, (2, self.T))
        return self.model(clips) if self.pose is None else self.model(clips, self.pose)


def _encoder_layer(encoder: nn.Module) -> nn.Module:
    return encoder.net[-1][2]  # FrameEncoder: the last block's ReLU, before the global pooling


def _tubelet_grid(model: ViViT, clips: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """grad-cam's reshape_transform for ViViT: tokens [B, t·h·w, d] → [B·t, d, h, w]."""
    t, h, w = (n // k for n, k in zip(clips.shape[2:], model.embed.kernel_size))
    return lambda tokens: tokens.unflatten(1, (t, h, w)).permute(0, 1, 4, 2, 3).flatten(0, 1)


def cam_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The layers mapped for ``model``, by stream name (see the module docstring)."""
    if isinstance(model, MaskCrossAttentionTransformer):
        if model.input_mode == "pose":
            raise McatError("mcat of input mode 'pose' sees no frames: it has no spatial layer to map")
        if model.fusion == "concat":
            return {"frames": _encoder_layer(model.encoder)}
        layers = {"appearance": _encoder_layer(model.encoder)}
        if model.fusion != "none":
            layers["mask"] = _encoder_layer(model.mask_encoder)
        return layers
    if isinstance(model, FrameFeatureClassifier):
        return {"frames": _encoder_layer(model.encoder)}
    if isinstance(model, ViViT):
        return {"tubelets": model.blocks[-1].norm_attn}
    raise McatError(f"{type(model).__name__} has no layer mcat knows how to map: explain takes the zoo's models "
                    "(a model.pt); an exported ONNX or TorchScript file has no gradients, so explain the model file "
                    "it was made from")


def grad_cams(model: nn.Module, clips: torch.Tensor, targets: list[int], method: str = "gradcam",
              pose: torch.Tensor | None = None) -> dict[str, np.ndarray]:
    """CAM maps float32 [B, T, H, W] in [0, 1] per stream of :func:`cam_layers`, for the class ``targets[b]`` of
    clip b; ``clips`` uint8 [B, 2, T, H, W] as every model takes them (and ``pose`` [B, T, K, 3] for a model that
    reads keypoints)."""
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, HiResCAM, LayerCAM, XGradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    methods = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus, "hirescam": HiResCAM, "xgradcam": XGradCAM,
               "layercam": LayerCAM}
    T = clips.shape[2]
    images = torch.cat([clips[:, 0].float() / 255.0, clips[:, 1].float()], dim=1)  # [B, 2T, H, W]
    reshape = _tubelet_grid(model, clips) if isinstance(model, ViViT) else None
    maps = {}
    for stream, layer in cam_layers(model).items():
        with methods[method](model=ClipsAsImages(model, T, pose), target_layers=[layer],
                             reshape_transform=reshape) as cam:
            per_image = cam(input_tensor=images, targets=[ClassifierOutputTarget(int(t)) for t in targets])
        per_clip = per_image.reshape(len(clips), -1, *per_image.shape[1:])  # [B, T or t, H, W]
        maps[stream] = np.repeat(per_clip, T // per_clip.shape[1], axis=1).astype(np.float32)
    return maps


def cross_attention(model: nn.Module, clips: torch.Tensor, pose: torch.Tensor | None = None) -> np.ndarray | None:
    """MCAT's cross-attention weights averaged over heads, float32 [B, T, S] (row t: appearance frame t's weights
    over the mask frames s, then with keypoints over the pose frames: S = 2T; rows sum to 1); None for a model
    without cross-attention."""
    if not (isinstance(model, MaskCrossAttentionTransformer) and model.fusion == "cross_attention"):
        return None
    return model.attention_maps(clips, pose).mean(dim=1).float().cpu().numpy()
