"""Decoding videos into grayscale frames at the model resolution, with errors a user can act on."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# FFmpeg's own log lines ("header damaged", ...) would bury the one-line error we raise; set the
# variable to 24 (warnings) or 48 (debug) to see them.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402  (after the log level is set)
import numpy as np

from mcat.errors import McatError

REENCODE = "re-encode it (e.g. ffmpeg -i IN -c:v libx264 -pix_fmt yuv420p OUT.mp4) or remove it from the dataset"


@dataclass(frozen=True)
class Video:
    """Decoded frames uint8 [N, resolution, resolution] and what the container said about itself."""

    frames: np.ndarray
    fps: float
    width: int
    height: int


def open_video(path: Path) -> cv2.VideoCapture:
    """An opened capture, or a :class:`McatError` that names the file and the fix."""
    path = Path(path)
    if not path.is_file():
        raise McatError(f"video {path} does not exist: check the dataset's paths")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise McatError(f"{path}: OpenCV cannot open this as a video (not a video, unknown codec or damaged); {REENCODE}")
    return cap


def decode_gray(path: Path, resolution: int) -> Video:
    """Decode every frame once: BGR → luminance (ITU-R BT.601) → bilinear resize to resolution².

    Raises :class:`McatError` when the file cannot be opened, yields no frame, or ends before the frame
    count its container announces (a truncated or corrupt file).
    """
    cap = open_video(path)
    try:
        announced = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        frames = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(gray_frame(frame, resolution))
    finally:
        cap.release()
    if not frames:
        raise McatError(f"{path}: no frame could be decoded (empty or corrupt video); {REENCODE}")
    if announced > 0 and len(frames) < announced:
        raise McatError(f"{path}: truncated or corrupt, decoding stopped after {len(frames)} of the {announced} "
                        f"frames its container announces; {REENCODE}")
    if not fps > 0:
        raise McatError(f"{path}: the container gives no frame rate; {REENCODE}")
    return Video(np.stack(frames), fps, width, height)


def bgr_batches(cap: cv2.VideoCapture, batch_size: int, limit: int | None = None):
    """Yield BGR frames uint8 [b, H, W, 3] in batches of ``batch_size`` (the last may be shorter), at most
    ``limit`` frames in all."""
    done = 0
    while limit is None or done < limit:
        batch = []
        while len(batch) < batch_size and (limit is None or done + len(batch) < limit):
            ok, frame = cap.read()
            if not ok:
                break
            batch.append(frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
        if not batch:
            return
        done += len(batch)
        yield np.stack(batch)


def gray_frame(frame: np.ndarray, resolution: int) -> np.ndarray:
    """BGR uint8 [H, W, 3] (or gray [H, W]) → luminance (BT.601) uint8 [R, R], bilinear: the store's frames."""
    gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return cv2.resize(gray, (resolution, resolution), interpolation=cv2.INTER_LINEAR)


def resize_masks(masks: np.ndarray, resolution: int) -> np.ndarray:
    """Binary masks [N, h, w] (any non-zero is person) → uint8 {0,1} [N, resolution, resolution], nearest."""
    out = np.empty((len(masks), resolution, resolution), np.uint8)
    for i, mask in enumerate(masks):
        binary = (np.asarray(mask) > 0).astype(np.uint8)
        out[i] = cv2.resize(binary, (resolution, resolution), interpolation=cv2.INTER_NEAREST)
    return out
