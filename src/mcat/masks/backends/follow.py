"""Following the person: the square of a frame a segmenter reads, from the person it found in the frame before.

A segmenter with a fixed working resolution (selfie: 256×256) sees a person filmed from afar at a few dozen of its
pixels, and misses them or their limbs. Reading a square crop around the previous frame's person instead (the box
of its mask, widened by ``margin`` of its longer side on each side, at least ``MIN_SIDE`` of the frame's shorter
side) puts that person at the model's full resolution. The square is moved inside the frame rather than padded
(black padding is read worse); when it would not fit (a person who fills the frame) or nobody was found in the
frame before, the whole frame is read.
"""

from __future__ import annotations

import numpy as np

from mcat.data.boxes import mask_box

MIN_SIDE = 0.25  # smallest crop side, share of the frame's shorter side (a far-away person is not blown up past 4x)

Region = tuple[float, float, float]  # (left, top, side) of a square in the frame's pixels


def follow_region(box: np.ndarray | None, width: int, height: int, margin: float) -> Region | None:
    """The square to read in a ``width``×``height`` frame around the person ``box`` (x0, y0, x1, y1 in the frame's
    pixels) found in the frame before; None: read the whole frame."""
    if box is None:
        return None
    x0, y0, x1, y1 = (float(v) for v in box)
    shorter = min(width, height)
    side = max(max(x1 - x0, y1 - y0) * (1 + 2 * margin), MIN_SIDE * shorter)
    if side >= shorter:
        return None
    return (min(max((x0 + x1 - side) / 2, 0.0), width - side), min(max((y0 + y1 - side) / 2, 0.0), height - side),
            side)


def frame_box(mask: np.ndarray, region: Region | None, width: int, height: int) -> np.ndarray | None:
    """The person box float32 [4] (x0, y0, x1, y1 in the frame's pixels) of a segmenter's mask [h, w] read over
    ``region`` (None: the whole frame); None when the mask is empty."""
    box = mask_box(mask)
    if box is None:
        return None
    if region is None:
        return box * np.array([width, height, width, height], np.float32)
    left, top, side = region
    return box * np.float32(side) + np.array([left, top, left, top], np.float32)
