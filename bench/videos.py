"""Videos the benches make from the renderer's: the same frames at a phone's size and frame rate.

Scripts run as ``python bench/NAME.py``, so this file is importable as ``videos`` beside them.
"""

from __future__ import annotations

from pathlib import Path

import cv2

from mcat.data.video import read_frames


def upscaled(video: Path, scale: float, fps: float, folder: Path) -> Path:
    """``video`` (30 frames/s) re-encoded into ``folder`` ``scale`` times larger at ``fps`` frames/s, each frame
    written ``fps / 30`` times (mp4v)."""
    frames = read_frames(video)
    first = next(frames)
    size = (round(first.shape[1] * scale), round(first.shape[0] * scale))
    out = folder / video.name
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for frame in [first, *frames]:
        big = cv2.resize(frame, size, interpolation=cv2.INTER_CUBIC)
        for _ in range(round(fps / 30)):
            writer.write(big)
    writer.release()
    return out
