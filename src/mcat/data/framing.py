"""One clock and one fit for every video: the frame rate recordings are put on and how a frame goes into the
model's square. Pure arithmetic (no OpenCV, no torch), so the training core and the stores can carry it; the
pixels are resized by :func:`mcat.data.video.gray_frame` and :func:`~mcat.data.video.resize_masks`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np


def source_index(j: int, step: float) -> int:
    """The source frame shown as frame ``j`` of a clock that advances ``step`` source frames per frame."""
    return int(math.floor(j * step + 0.5))


@dataclass(frozen=True)
class Framing:
    """How a video becomes the model's frames, the same in ingest, masks and prediction: every frame on one
    clock of ``fps`` frames per second (0 keeps each video's own rate), fitted into ``resolution``² by
    ``fit`` (``pad`` keeps the aspect ratio, scaling the longer side to ``resolution`` and centring the
    picture between zero bars; ``stretch`` squashes it)."""

    resolution: int
    fps: float = 0.0
    fit: Literal["pad", "stretch"] = "pad"

    def step(self, source_fps: float) -> float | None:
        """Source frames per clock frame, or None when the video is already on the clock."""
        if not self.fps or abs(source_fps - self.fps) < 1e-3:
            return None
        return source_fps / self.fps

    def positions(self, n_source: int, source_fps: float) -> np.ndarray:
        """The source frame int64 [M] behind each clock frame of a video of ``n_source`` frames."""
        step = self.step(source_fps)
        if step is None:
            return np.arange(n_source)
        count = int(math.floor((n_source - 0.5) / step)) + 1 if n_source else 0
        while count and source_index(count - 1, step) >= n_source:
            count -= 1
        return np.array([source_index(j, step) for j in range(count)], np.int64)

    def clock_frames(self, n_source: int, source_fps: float) -> int:
        """How many clock frames a video of ``n_source`` frames gives."""
        return len(self.positions(n_source, source_fps))

    def placement(self, width: int, height: int) -> tuple[int, int, int, int]:
        """Where a ``width``×``height`` picture lands in the R×R square: (its fitted width, height, left, top)
        in pixels."""
        r = self.resolution
        if self.fit == "stretch":
            return r, r, 0, 0
        scale = r / max(height, width)
        nw, nh = max(1, round(width * scale)), max(1, round(height * scale))
        return nw, nh, (r - nw) // 2, (r - nh) // 2

    def fit_points(self, points: np.ndarray, width: int, height: int) -> np.ndarray:
        """Points float [..., 2] as x, y in ``[0, 1]`` of a ``width``×``height`` picture → x, y in ``[0, 1]`` of the
        fitted R×R square (the frames the model sees)."""
        nw, nh, left, top = self.placement(width, height)
        return (points * np.array([nw, nh], np.float32) + np.array([left, top], np.float32)) / self.resolution


    def unfit_points(self, points: np.ndarray, width: int, height: int) -> np.ndarray:
        """The inverse of :meth:`fit_points`: x, y in ``[0, 1]`` of the R×R square → of the picture."""
        nw, nh, left, top = self.placement(width, height)
        return (points * self.resolution - np.array([left, top], np.float32)) / np.array([nw, nh], np.float32)
