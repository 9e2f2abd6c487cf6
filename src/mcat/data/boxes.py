"""The person box of a mask: where a pose model crops a frame (``mcat pose``, ``mcat predict``) and where a
following segmenter reads the next one (:mod:`mcat.masks.backends.follow`)."""

from __future__ import annotations

import numpy as np


def mask_box(mask: np.ndarray) -> np.ndarray | None:
    """The person box float32 [4] (x0, y0, x1, y1 in ``[0, 1]`` of the mask's frame) of a mask [H, W]; None if
    empty."""
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return None
    h, w = mask.shape
    return np.array([xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h], np.float32)
