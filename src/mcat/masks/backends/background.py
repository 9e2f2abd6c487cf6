"""Background subtraction (OpenCV MOG2 or KNN) for fixed-camera recordings, cleaned by morphology.

It sees motion, not people: a subject who holds still fades into the background model (plank holds, the
pause at the bottom of a squat), anything else that moves is marked, and MOG2 learns a periodic motion — an
exercise — as one more background mode within a few periods (KNN holds on longer, hence the default). Its masks are only as good as
the quality gate says: ``mcat validate`` catches the empty frames this causes.
"""

from __future__ import annotations

import cv2
import numpy as np

from mcat.config import BackgroundParams
from mcat.data.framing import Framing
from mcat.masks.backends import fitted


class BackgroundSegmenter:
    def __init__(self, params: BackgroundParams):
        self.params = params
        self.open = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (params.open_px, params.open_px))
        self.close = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (params.close_px, params.close_px))
        self.reset()

    def reset(self) -> None:
        """A fresh background model for a new recording; OpenCV's RNG (KNN draws its updates from it) is
        seeded so that one video always gives the same masks."""
        p = self.params
        cv2.setRNGSeed(0)
        if p.method == "mog2":
            self.model = cv2.createBackgroundSubtractorMOG2(history=p.history, varThreshold=p.var_threshold,
                                                            detectShadows=True)
        else:
            self.model = cv2.createBackgroundSubtractorKNN(history=p.history, detectShadows=True)

    def segment(self, frames: np.ndarray, framing: Framing | None = None) -> np.ndarray:
        """BGR uint8 [B, H, W, 3] → uint8 {0, 1} [B, H, W] (with ``framing``: fitted, [B, R, R]); frames must come
        in recording order."""
        out = np.empty(frames.shape[:3], np.uint8)
        for i, frame in enumerate(frames):
            foreground = self.model.apply(frame, learningRate=self.params.learning_rate)
            mask = (foreground == 255).astype(np.uint8)  # 127 marks shadows
            mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self.open)
            mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, self.close)
            out[i] = _drop_small(mask, self.params.min_area * mask.size)
        return fitted(out, framing)


def _drop_small(mask: np.ndarray, min_pixels: float) -> np.ndarray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.zeros(count, np.uint8)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_pixels
    return keep[labels]
