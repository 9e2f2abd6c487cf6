"""Decoding videos into grayscale frames at the model resolution, with errors a user can act on."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

# FFmpeg's own log lines ("header damaged", ...) would bury the one-line error we raise; set the
# variable to 24 (warnings) or 48 (debug) to see them.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402  (after the log level is set)
import numpy as np

from mcat.data.framing import Framing, source_index
from mcat.errors import McatError

REENCODE = "re-encode it (e.g. ffmpeg -i IN -c:v libx264 -pix_fmt yuv420p OUT.mp4) or remove it from the dataset"


@dataclass(frozen=True)
class VideoInfo:
    """What a container says about itself; ``announced`` is its frame count (0 when it does not say)."""

    fps: float
    width: int
    height: int
    announced: int

    def checked_fps(self, path: Path) -> float:
        if not self.fps > 0:
            raise McatError(f"{path}: the container gives no frame rate; {REENCODE}")
        return self.fps


@dataclass(frozen=True)
class Video:
    """Decoded frames uint8 [M, resolution, resolution] on the framing's clock, the video's own frame count
    ``source_frames`` and what the container said about itself."""

    frames: np.ndarray
    source_frames: int
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


def probe(path: Path) -> VideoInfo:
    """Open ``path`` (the errors of :func:`open_video`) and read its container's fps, size and frame count."""
    cap = open_video(path)
    try:
        return VideoInfo(float(cap.get(cv2.CAP_PROP_FPS)), int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                         int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
    finally:
        cap.release()


class _Clock:
    """The one decode loop: iterating opens ``path`` and, for each frame of the clock (at most ``limit``), grabs
    the capture up to the source frame behind it and hands it out, for ``retrieve`` to convert it. With ``step``
    (source frames per output frame, see :class:`Framing`), frame j is source frame :func:`source_index` (j, step):
    frames between are grabbed (decoded, never converted to BGR), a frame that must repeat is handed out again.
    ``grabbed`` counts the source frames decoded: all of the video's once a loop without ``limit`` has ended. The
    capture is released when the loop ends or is left."""

    def __init__(self, path: Path, limit: int | None = None, step: float | None = None):
        self.path, self.limit, self.step, self.grabbed = path, limit, step, 0

    def __iter__(self) -> Iterator[cv2.VideoCapture]:
        cap = open_video(self.path)
        try:
            done = 0
            while self.limit is None or done < self.limit:
                wanted = done if self.step is None else source_index(done, self.step)
                while self.grabbed <= wanted:
                    if not cap.grab():
                        return
                    self.grabbed += 1
                yield cap
                done += 1
        finally:
            cap.release()


def _bgr(cap: cv2.VideoCapture, path: Path, into: np.ndarray | None = None) -> np.ndarray | None:
    """The grabbed frame as BGR uint8 [H, W, 3] (gray sources as BGR), converted straight into ``into`` (a slot
    [H, W, 3]) when given; None when it cannot be converted (the decode ends there)."""
    ok, frame = cap.retrieve() if into is None else cap.retrieve(image=into)
    if not ok:
        return None
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if into is not None and not np.shares_memory(frame, into):
        if frame.shape != into.shape:
            raise McatError(f"{path}: the frame size changes from {into.shape[1]}x{into.shape[0]} to "
                            f"{frame.shape[1]}x{frame.shape[0]} within the video; {REENCODE}")
        into[...] = frame
    return frame


def read_frames(path: Path, limit: int | None = None, step: float | None = None) -> Iterator[np.ndarray]:
    """BGR frames uint8 [H, W, 3] of ``path`` in order on the clock of ``step`` (:class:`_Clock`), at most
    ``limit``."""
    yield from _converted(_Clock(path, limit, step))


def _converted(clock: _Clock) -> Iterator[np.ndarray]:
    """The BGR frames uint8 [H, W, 3] of a :class:`_Clock`, until one cannot be converted."""
    for cap in clock:
        frame = _bgr(cap, clock.path)
        if frame is None:
            return
        yield frame


def bgr_batches(path: Path, batch_size: int, limit: int | None = None, step: float | None = None,
                ) -> Iterator[np.ndarray]:
    """:func:`read_frames` in batches uint8 [b, H, W, 3] of ``batch_size`` (the last may be shorter): each frame but a
    batch's first (which gives the batch its size) converted straight into its slot, with no stacking copy of a phone
    video's large frames. Each batch is a new array: a reader may hold one while the next is decoded."""
    batch, n = None, 0
    for cap in _Clock(path, limit, step):
        if batch is None:
            first = _bgr(cap, path)
            if first is None:
                break
            batch, n = np.empty((batch_size, *first.shape), np.uint8), 1
            batch[0] = first
        elif _bgr(cap, path, batch[n]) is None:
            break
        else:
            n += 1
        if n == batch_size:
            yield batch
            batch = None
    if batch is not None:
        yield batch[:n]


def check_decoded(path: Path, decoded: int, expected: int, expected_from: str = "its container announces") -> None:
    """The one set of errors for a decode that came up short: no frame at all, or fewer than ``expected``."""
    if not decoded:
        raise McatError(f"{path}: no frame could be decoded (empty or corrupt video); {REENCODE}")
    if expected > 0 and decoded < expected:
        raise McatError(f"{path}: truncated or corrupt, decoding stopped after {decoded} of the {expected} frames "
                        f"{expected_from}; {REENCODE}")


def _fit(image: np.ndarray, framing: Framing, interpolation: int) -> np.ndarray:
    """[H, W] → [R, R] as ``framing.fit`` says: ``pad`` scales the longer side to R and centres the picture
    between zero bars, ``stretch`` squashes it."""
    r = framing.resolution
    nw, nh, x, y = framing.placement(image.shape[1], image.shape[0])
    if (nw, nh) == (r, r):
        return cv2.resize(image, (r, r), interpolation=interpolation)
    out = np.zeros((r, r), image.dtype)
    out[y:y + nh, x:x + nw] = cv2.resize(image, (nw, nh), interpolation=interpolation)
    return out


def gray_frame(frame: np.ndarray, framing: Framing) -> np.ndarray:
    """BGR uint8 [H, W, 3] (or gray [H, W]) → luminance (BT.601) uint8 [R, R], bilinear: the store's frames."""
    return _fit(frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), framing, cv2.INTER_LINEAR)


def resize_masks(masks: np.ndarray, framing: Framing) -> np.ndarray:
    """Binary masks [N, h, w] (any non-zero is person) → uint8 {0,1} [N, R, R], nearest."""
    out = np.empty((len(masks), framing.resolution, framing.resolution), np.uint8)
    for i, mask in enumerate(masks):
        out[i] = _fit((np.asarray(mask) > 0).astype(np.uint8), framing, cv2.INTER_NEAREST)
    return out


def fit_probabilities(probability: np.ndarray, shown: tuple[int, int], framing: Framing,
                      region: tuple[float, float, float] | None = None) -> np.ndarray:
    """A segmenter's person probability float32 [h, w] (its own resolution) of a frame of ``shown`` = (width,
    height) → float32 [R, R] fitted by ``framing`` (0 in the bars): exactly the values :func:`resize_masks` keeps of
    the map resized to the frame (bilinear), read at those pixels only. Thresholded, it gives the masks that
    resizing to the frame, thresholding and fitting give, without drawing the frame-size map (half the time of
    selfie segmentation on a 1080p frame).

    ``region`` = (left, top, side) in the frame's pixels: the map covers only that square of the frame (a crop
    around the person), and the frame outside it reads 0."""
    r = framing.resolution
    out = np.zeros((r, r), np.float32)
    nw, nh, x, y = framing.placement(*shown)
    ph, pw = probability.shape
    if region is None:
        map_x, map_y = _nearest_samples(shown, pw, ph, nw, nh)
        border = cv2.BORDER_REPLICATE
    else:
        left, top, side = region
        xs, ys = _kept_pixels(shown, nw, nh)
        map_x, map_y = np.meshgrid(((xs - left) * (pw / side) - 0.5).astype(np.float32),
                                   ((ys - top) * (ph / side) - 0.5).astype(np.float32))
        border = cv2.BORDER_CONSTANT
    out[y:y + nh, x:x + nw] = cv2.remap(probability, map_x, map_y, cv2.INTER_LINEAR, borderMode=border)
    return out


def _kept_pixels(shown: tuple[int, int], nw: int, nh: int) -> tuple[np.ndarray, np.ndarray]:
    """The centres (x [nw], y [nh], in the frame's pixels) of the pixels that OpenCV's nearest resize of a
    ``shown``-size frame to [nh, nw] keeps (source pixel floor(i × W / nw))."""
    (w, h) = shown
    return (np.minimum(np.floor(np.arange(nw) * (w / nw)), w - 1) + 0.5,
            np.minimum(np.floor(np.arange(nh) * (h / nh)), h - 1) + 0.5)


@functools.lru_cache(maxsize=16)
def _nearest_samples(shown: tuple[int, int], pw: int, ph: int, nw: int, nh: int) -> tuple[np.ndarray, np.ndarray]:
    """Where in a [ph, pw] map of the whole frame the pixels :func:`_kept_pixels` lie, as bilinear resizing of the
    map to the frame places them: float32 maps [nh, nw] for ``cv2.remap``."""
    (w, h) = shown
    xs, ys = _kept_pixels(shown, nw, nh)
    map_x, map_y = np.meshgrid((xs * (pw / w) - 0.5).astype(np.float32), (ys * (ph / h) - 0.5).astype(np.float32))
    return map_x, map_y


def decode_gray(path: Path, framing: Framing) -> Video:
    """Decode every frame of ``path`` once and convert those the framing's clock keeps: BGR → luminance (ITU-R
    BT.601) → fitted into the framing's resolution². Clock frame j is source frame ``framing.positions(...)[j]``;
    ingest matches the labels against ``source_frames`` and keeps the clock frames of the frames it keeps, which
    are a prefix of these. A 60 fps phone video has half its frames decoded but never converted.

    Raises :class:`McatError` when the file cannot be opened, yields no frame, ends before the frame
    count its container announces (a truncated or corrupt file), or gives no frame rate.
    """
    info = probe(path)
    clock = _Clock(path, step=framing.step(info.fps) if info.fps > 0 else None)
    frames = [gray_frame(frame, framing) for frame in _converted(clock)]
    check_decoded(path, clock.grabbed if frames else 0, info.announced)
    return Video(np.stack(frames), clock.grabbed, info.checked_fps(path), info.width, info.height)
