"""Person-centred crop per window: the clip cut to the box its masks cover, so that a person filmed small or
large, centred or at the edge, reaches the model at one scale and place.

The box is the union of the window's T masks (every frame's person at once, so the crop holds still within a
clip and motion stays motion), squared around its centre, widened by ``margin`` of its side on each side,
and never smaller than ``MIN_SIDE`` of the frame (a far-away person is not blown up past 4x). Parts of the
box outside the frame read as zero, like the bars of ``ingest.fit: pad``. Gray frames are resized bilinearly
(antialiased), masks with nearest neighbour so they stay binary. A window without any mask pixel is kept
whole. The same function serves training, evaluation, the speed test and ``mcat predict``
(``Preprocessing.crop``); :func:`joints_crop` moves a window's keypoints into the same box.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from mcat.data.keypoints import reframe

MIN_SIDE = 0.25  # smallest box side, share of the frame side R


def person_box(masks: np.ndarray, margin: float) -> tuple[int, int, int] | None:
    """(top, left, side) in pixels of the square crop of binary masks uint8 [T, R, R], or None when no frame
    has a mask pixel. top and left may be negative and top + side may pass R (zero outside the frame)."""
    rows = np.flatnonzero(masks.any(axis=(0, 2)))
    cols = np.flatnonzero(masks.any(axis=(0, 1)))
    if not len(rows):
        return None
    height, width = rows[-1] + 1 - rows[0], cols[-1] + 1 - cols[0]
    side = max(max(height, width) * (1 + 2 * margin), MIN_SIDE * masks.shape[-1])
    centre_y, centre_x = (rows[0] + rows[-1] + 1) / 2, (cols[0] + cols[-1] + 1) / 2
    side_px = int(round(side))
    return int(round(centre_y - side_px / 2)), int(round(centre_x - side_px / 2)), side_px


def person_crop(clip: np.ndarray, margin: float) -> np.ndarray:
    """uint8 clip [2, T, R, R] (gray, mask) → the same shape, cut to :func:`person_box` and resized to R."""
    from torchvision.transforms.v2 import InterpolationMode  # here: importing torchvision takes seconds, and only
    from torchvision.transforms.v2 import functional as F  # the person crop needs it

    box = person_box(clip[1], margin)
    if box is None:
        return clip
    size = list(clip.shape[-2:])
    gray, mask = torch.from_numpy(np.ascontiguousarray(clip))
    gray = F.resized_crop(gray, *box, box[2], size, interpolation=InterpolationMode.BILINEAR, antialias=True)
    mask = F.resized_crop(mask, *box, box[2], size, interpolation=InterpolationMode.NEAREST)
    return torch.stack([gray, mask]).numpy()


def crop_name(crop: str, margin: float) -> str:
    """How a crop is named in messages and model cards: ``none`` or ``person (margin 0.15)``."""
    return f"person (margin {margin:g})" if crop == "person" else crop


def window_crop(crop: str, margin: float) -> Callable[[np.ndarray], np.ndarray]:
    """The crop a model was trained with as a function of a uint8 clip [2, T, R, R]: identity for ``none``."""
    if crop == "none":
        return lambda clip: clip
    if crop == "person":
        return lambda clip: person_crop(clip, margin)
    raise ValueError(f"unknown crop {crop!r}: none or person")


def joints_crop(crop: str, margin: float) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """What :func:`window_crop` does to a window's keypoints: ``(joints float32 [T, K, 3], masks uint8 [T, R, R]) →
    joints`` in the frame of the masks' box (identity for ``none`` and for a window without any mask pixel)."""
    def cut(joints: np.ndarray, masks: np.ndarray) -> np.ndarray:
        box = person_box(masks, margin) if crop == "person" else None
        if box is None:
            return joints
        top, left, side = (torch.tensor([v / masks.shape[-1]]) for v in box)
        return reframe(torch.from_numpy(np.array(joints, np.float32))[None], left, top, side, side)[0].numpy()

    window_crop(crop, margin)  # the same crops, the same error for any other
    return cut
