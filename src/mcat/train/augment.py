"""Clip-consistent augmentation of a batch, on the batch's device (§4.2).

One draw per clip, applied to all its frames: horizontal flip and random resized crop move gray and mask
together (bilinear for gray, nearest for the mask, so it stays binary and aligned); brightness and contrast
change gray only. Masks can also get the errors a real segmenter makes (``mask_noise``): per clip, edges
eroded or dilated by a pixel; per frame, a missed part (a rectangle cut out), or no mask at all. Keypoints,
where a model reads them, move with the crop and the flip (a mirrored person's left and right swap,
:mod:`mcat.data.keypoints`). Random numbers come from a CPU generator, so a seed gives the same draws on any
device.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from mcat.config import AugmentParams
from mcat.data.keypoints import mirror, reframe


def to_float(clips: torch.Tensor) -> torch.Tensor:
    """uint8 [B, 2, T, H, W] → float [B, 2, T, H, W]: gray / 255, mask as 0/1 (what the models accept)."""
    return torch.stack([clips[:, 0].float() / 255.0, clips[:, 1].float()], dim=1)


def _uniform(low: float, high: float, n: int, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def crop_flip_theta(n: int, params: AugmentParams, generator: torch.Generator) -> torch.Tensor:
    """Affine sampling matrices [n, 2, 3] (normalised coordinates) of a random resized crop, mirrored
    with probability ``hflip_p``."""
    scale = _uniform(*params.crop_scale, n, generator)
    ratio = torch.exp(_uniform(math.log(params.crop_ratio[0]), math.log(params.crop_ratio[1]), n, generator))
    width = torch.sqrt(scale * ratio).clamp(max=1.0)
    height = torch.sqrt(scale / ratio).clamp(max=1.0)
    cx = (2 * torch.rand(n, generator=generator) - 1) * (1 - width)
    cy = (2 * torch.rand(n, generator=generator) - 1) * (1 - height)
    flip = torch.where(torch.rand(n, generator=generator) < params.hflip_p, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2] = width * flip, cx
    theta[:, 1, 1], theta[:, 1, 2] = height, cy
    return theta


HOLE_P, EMPTY_P = 0.3, 0.05  # per frame of a noisy clip: a missed part; no mask at all


def segmenter_errors(mask: torch.Tensor, share: float, generator: torch.Generator) -> torch.Tensor:
    """Masks float 0/1 [B, T, H, W] with a segmenter's errors in a ``share`` of the clips (see the module)."""
    b, t, h, w = mask.shape
    noisy = (torch.rand(b, generator=generator) < share).to(mask.device).view(b, 1, 1, 1)
    edge = torch.randint(0, 3, (b,), generator=generator).to(mask.device).view(b, 1, 1, 1)  # erode, keep, dilate
    dilated = F.max_pool2d(mask, 3, stride=1, padding=1)
    eroded = 1 - F.max_pool2d(1 - mask, 3, stride=1, padding=1)
    out = torch.where(edge == 0, eroded, torch.where(edge == 2, dilated, mask))
    size = _uniform(0.15, 0.35, b * t, generator).view(b, t, 1, 1).to(mask.device)
    centre = torch.rand(2, b * t, generator=generator).view(2, b, t, 1, 1).to(mask.device)
    ys = (torch.arange(h, device=mask.device).view(1, 1, h, 1) + 0.5) / h
    xs = (torch.arange(w, device=mask.device).view(1, 1, 1, w) + 0.5) / w
    hole = ((ys - centre[1]).abs() < size / 2) & ((xs - centre[0]).abs() < size / 2)
    frames = torch.rand(2, b, t, generator=generator).to(mask.device)
    out = torch.where(hole & (frames[0] < HOLE_P).view(b, t, 1, 1), 0.0, out)
    out = torch.where((frames[1] < EMPTY_P).view(b, t, 1, 1), 0.0, out)
    return torch.where(noisy, out, mask)


#: a pose model's errors, per joint and frame of a noisy clip, fitted to BlazePose lite's against the renderer's
#: exact joints on the demo's train split (``bench/pose_gap_bench.py`` prints both; docs/results.md, *Where the
#: keypoint gap comes from*): displacement in units of the person's height, as a steady offset per clip (the
#: model's idea of where a joint is), frame-to-frame jitter and now and then a gross error (a joint put on another
#: limb); the visibility's logit ~ N(mean, std); and frames where nobody is found.
OFFSET, JITTER, GROSS, GROSS_P = 0.05, 0.04, 0.5, 0.15
VISIBILITY_LOGIT = (3.1, 2.3)
NOBODY_P = 0.15


def pose_errors(joints: torch.Tensor, share: float, generator: torch.Generator) -> torch.Tensor:
    """Keypoints float [B, T, K, 3] with a pose model's errors (the constants above) in a ``share`` of the clips;
    a joint moved out of the frame is not seen, as the estimators report it."""
    b, t, k, _ = joints.shape
    device = joints.device
    seen = joints[..., 2:] > 0
    y = joints[..., 1:2]
    height = (torch.where(seen, y, -1.0).amax(dim=(1, 2, 3)) - torch.where(seen, y, 2.0).amin(dim=(1, 2, 3)))
    height = height.clamp(0.1, 1.0).view(b, 1, 1, 1)
    noisy = (torch.rand(b, generator=generator) < share).to(device).view(b, 1, 1, 1)
    offset = OFFSET * torch.randn(b, 1, k, 2, generator=generator)
    jitter = JITTER * torch.randn(b, t, k, 2, generator=generator)
    gross = GROSS * torch.randn(b, t, k, 2, generator=generator)
    gross = gross * (torch.rand(b, t, k, 1, generator=generator) < GROSS_P)
    xy = joints[..., :2] + height * (offset + jitter + gross).to(device)
    logit = VISIBILITY_LOGIT[0] + VISIBILITY_LOGIT[1] * torch.randn(b, t, k, 1, generator=generator)
    found = (torch.rand(b, t, 1, 1, generator=generator) >= NOBODY_P).to(device)
    kept = seen & found & ((xy >= 0) & (xy <= 1)).all(dim=-1, keepdim=True)
    out = torch.where(kept, torch.cat([xy, torch.sigmoid(logit).to(device)], dim=-1), 0.0)
    return torch.where(noisy, out, joints)


def moved_joints(joints: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Keypoints [B, T, K, 3] of the frames that ``theta`` [B, 2, 3] (:func:`crop_flip_theta`) samples: the crop's
    window in ``[0, 1]`` units is (cx − w + 1) / 2 wide w, and a negative x scale mirrors it."""
    width, height = theta[:, 0, 0].abs(), theta[:, 1, 1]
    cropped = reframe(joints, (theta[:, 0, 2] - width + 1) / 2, (theta[:, 1, 2] - height + 1) / 2, width, height)
    return mirror(cropped, theta[:, 0, 0] < 0)


def augment(clips: torch.Tensor, params: AugmentParams, generator: torch.Generator,
            joints: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """uint8 clips [B, 2, T, H, W] → (augmented float clips [B, 2, T, H, W] (gray in [0, 1], mask 0/1), and the
    keypoints [B, T, K, 3] moved with them, or None without)."""
    b, _, t, h, w = clips.shape
    x = to_float(clips)
    theta = crop_flip_theta(b, params, generator).to(x.device)
    brightness = _uniform(*params.brightness, b, generator).to(x.device).view(b, 1, 1, 1)
    contrast = _uniform(*params.contrast, b, generator).to(x.device).view(b, 1, 1, 1)
    grid = F.affine_grid(theta, [b, t, h, w], align_corners=False)
    gray = F.grid_sample(x[:, 0], grid, mode="bilinear", padding_mode="border", align_corners=False)
    mask = F.grid_sample(x[:, 1], grid, mode="nearest", padding_mode="zeros", align_corners=False)
    if params.mask_noise:
        mask = segmenter_errors(mask, params.mask_noise, generator)
    gray = gray * brightness
    mean = gray.mean(dim=(1, 2, 3), keepdim=True)
    gray = ((gray - mean) * contrast + mean).clamp(0.0, 1.0)
    if joints is not None:
        joints = moved_joints(joints, theta)
        if params.pose_noise:
            joints = pose_errors(joints, params.pose_noise, generator)
    return torch.stack([gray, mask], dim=1), joints
