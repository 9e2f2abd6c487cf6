"""MediaPipe selfie segmentation (Apache-2.0 TFLite models), offline on the CPU.

The model takes RGB [1, S_h, S_w, 3] in [0, 1] (256×256, or 144×256 landscape, read from the file) and returns a
person probability [1, S_h, S_w, 1]; it is resized back to the frame and thresholded. Good on upright people,
weaker lying down, and it marks every person in view (see ../shared/models/README.md).

Frames wider than tall go to ``masks.selfie.landscape_model`` when one is set (MediaPipe's landscape model: 144×256,
2.7× fewer pixels and 1.9× the frames/s of the general model on 2 cores, at an equal or higher IoU on landscape
renders, ``bench/masks_bench.py``); portrait and square frames to ``masks.selfie.model``.

With ``masks.selfie.follow``, each frame is read around the person found in the frame before
(:mod:`~mcat.masks.backends.follow`: a square crop of its mask box, on the general model), so people filmed
small are seen at the model's full resolution; the first frame, a frame after one where nobody was found, and a
person who fills the frame are read whole.

Two runtimes give the same probabilities (within 1e-3, ``tests/masks``; the same mask IoU and timeline in
``bench/predict_bench.py``): ``litert`` (Google's LiteRT, the models' own runtime, with XNNPACK: 173 frames/s
of 192×144 on 2 cores in ``bench/masks_bench.py``) and ``opencv`` (OpenCV's DNN module: 48 frames/s), for
platforms without a LiteRT wheel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from mcat import litert
from mcat.config import SelfieParams
from mcat.data.framing import Framing
from mcat.data.video import fit_probabilities
from mcat.errors import McatError
from mcat.masks.backends.follow import Region, follow_region, frame_box

Run = Callable[[np.ndarray], np.ndarray]  # BGR uint8 [B, H, W, 3] → person probability float32 [B, S_h, S_w]


@dataclass(frozen=True)
class Model:
    run: Run
    size: tuple[int, int]  # (S_w, S_h): the model's input and output


def _litert(path: Path, threads: int | None) -> Model:
    interpreter = litert.interpreter(path, needs="a MediaPipe selfie segmentation model",
                                     otherwise="or set masks.selfie.runtime=opencv", threads=threads)
    given, taken = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    height, width = given["shape"][1:3]

    def run(frames: np.ndarray) -> np.ndarray:
        probability = []
        for frame in frames:
            rgb = cv2.cvtColor(cv2.resize(frame, (int(width), int(height)), interpolation=cv2.INTER_LINEAR),
                               cv2.COLOR_BGR2RGB)
            interpreter.set_tensor(given["index"], rgb[None] / np.float32(255.0))  # float32 [1, S_h, S_w, 3]
            interpreter.invoke()
            probability.append(interpreter.get_tensor(taken["index"])[0, ..., 0])
        return np.stack(probability)
    return Model(run, (int(width), int(height)))


def _opencv(path: Path) -> Model:
    try:
        net = cv2.dnn.readNetFromTFLite(str(path))
    except cv2.error as exc:
        raise McatError(f"OpenCV cannot load {path} as a TFLite model ({str(exc).strip().splitlines()[-1]}); "
                        "it needs OpenCV 5 and a MediaPipe selfie segmentation model") from None
    size = (256, 144) if "landscape" in path.name else (256, 256)  # (width, height) the model expects

    def run(frames: np.ndarray) -> np.ndarray:
        net.setInput(cv2.dnn.blobFromImages(list(frames), 1 / 255.0, size, swapRB=True))
        return net.forward()[:, 0]
    return Model(run, size)


def _load(model: str, key: str, example: str, runtime: str, threads: int | None) -> Model:
    path = Path(model)
    if not path.is_file():
        raise McatError(f"selfie model {path} does not exist: set masks.selfie.{key} to a MediaPipe selfie "
                        f"segmentation .tflite file (e.g. ../shared/models/{example})")
    return _litert(path, threads) if runtime == "litert" else _opencv(path)


def _into_square(region: Region, size: int) -> np.ndarray:
    """The affine map float32 [2, 3] from a frame's pixels into a ``size``×``size`` picture of its square ``region``
    (left, top, side), pixel centres placed as ``cv2.resize`` places them."""
    left, top, side = region
    k = size / side
    return np.array([[k, 0, (0.5 - left) * k - 0.5], [0, k, (0.5 - top) * k - 0.5]], np.float32)


def _crop(frame: np.ndarray, region: Region, size: tuple[int, int]) -> np.ndarray:
    """The square ``region`` of a BGR frame [H, W, 3] resized (bilinear) to a square model's ``size`` → BGR uint8
    [S, S, 3]."""
    return cv2.warpAffine(frame, _into_square(region, size[0]), size, flags=cv2.INTER_LINEAR)


def _frame_probability(probability: np.ndarray, region: Region | None, shown: tuple[int, int]) -> np.ndarray:
    """A probability map [S_h, S_w] over ``region`` (None: the whole frame) → float32 [H, W] over a frame of ``shown``
    = (W, H), bilinear, 0 outside the region."""
    if region is None:
        return cv2.resize(probability, shown, interpolation=cv2.INTER_LINEAR)
    return cv2.warpAffine(probability, _into_square(region, probability.shape[1]), shown,
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)


class SelfieSegmenter:
    def __init__(self, params: SelfieParams, threads: int | None = None):
        """``threads``: LiteRT's threads per model (None: every core)."""
        self.general = _load(params.model, "model", "mediapipe_selfie_segmentation_256x256.tflite", params.runtime,
                             threads)
        self.landscape = None if not params.landscape_model else _load(
            params.landscape_model, "landscape_model", "mediapipe_selfie_segmentation_landscape_144x256.tflite",
            params.runtime, threads)
        self.threshold = params.threshold
        self.margin = params.follow_margin if params.follow else None  # None: every frame read whole
        self.box: np.ndarray | None = None  # following: the person box of the frame before, in its pixels

    def run(self, frames: np.ndarray) -> np.ndarray:
        """Whole BGR frames uint8 [B, H, W, 3] → person probability float32 [B, S_h, S_w], from the landscape model
        for frames wider than tall (when one is set), else from the general one."""
        wide = self.landscape is not None and frames.shape[2] > frames.shape[1]
        return (self.landscape if wide else self.general).run(frames)

    def reset(self) -> None:
        self.box = None

    def follow(self, frame: np.ndarray) -> tuple[np.ndarray, Region | None]:
        """One BGR frame [H, W, 3] read around the person of the frame before (whole when there was none, when the
        square would not fit or when nobody is found in it) → (person probability float32 [S_h, S_w], the region it
        covers, None for the whole frame); remembers this frame's person for the next."""
        h, w = frame.shape[:2]
        region = follow_region(self.box, w, h, self.margin)
        if region is not None:
            probability = self.general.run(_crop(frame, region, self.general.size)[None])[0]
            self.box = frame_box(probability > self.threshold, region, w, h)
            if self.box is not None:
                return probability, region
        probability = self.run(frame[None])[0]
        self.box = frame_box(probability > self.threshold, None, w, h)
        return probability, None

    def segment(self, frames: np.ndarray, framing: Framing | None = None) -> np.ndarray:
        """BGR uint8 [B, H, W, 3] → uint8 {0, 1} [B, H, W]; with ``framing``, [B, R, R]: the model's probabilities
        read at the fitted frame's pixels and thresholded there (:func:`~mcat.data.video.fit_probabilities`: the
        same masks as fitting the full-size ones), never drawn at the frames' size."""
        shown = (frames.shape[2], frames.shape[1])
        read = [(p, None) for p in self.run(frames)] if self.margin is None else [self.follow(f) for f in frames]
        if framing is not None:
            masks = [fit_probabilities(p, shown, framing, region) > self.threshold for p, region in read]
        else:
            masks = [_frame_probability(p, region, shown) > self.threshold for p, region in read]
        return np.stack(masks).astype(np.uint8)
