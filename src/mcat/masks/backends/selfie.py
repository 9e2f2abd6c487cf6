"""MediaPipe selfie segmentation (Apache-2.0 TFLite models), offline on the CPU.

The model takes RGB [1, S_h, S_w, 3] in [0, 1] (256×256, or 144×256 landscape, read from the file) and returns a
person probability [1, S_h, S_w, 1]; it is resized back to the frame and thresholded. Good on upright people,
weaker lying down, and it marks every person in view (see ../shared/models/README.md).

Frames wider than tall go to ``masks.selfie.landscape_model`` when one is set (MediaPipe's landscape model: 144×256,
2.7× fewer pixels and 1.9× the frames/s of the general model on 2 cores, at an equal or higher IoU on landscape
renders, ``bench/masks_bench.py``); portrait and square frames to ``masks.selfie.model``.

Two runtimes give the same probabilities (within 1e-3, ``tests/masks``; the same mask IoU and timeline in
``bench/predict_bench.py``): ``litert`` (Google's LiteRT, the models' own runtime, with XNNPACK: 173 frames/s
of 192×144 on 2 cores in ``bench/masks_bench.py``) and ``opencv`` (OpenCV's DNN module: 48 frames/s), for
platforms without a LiteRT wheel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from mcat import litert
from mcat.config import SelfieParams
from mcat.data.framing import Framing
from mcat.data.video import fit_probabilities
from mcat.errors import McatError

Run = Callable[[np.ndarray], np.ndarray]  # BGR uint8 [B, H, W, 3] → person probability float32 [B, S_h, S_w]


def _litert(path: Path) -> Run:
    interpreter = litert.interpreter(path, needs="a MediaPipe selfie segmentation model",
                                     otherwise="or set masks.selfie.runtime=opencv")
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
    return run


def _opencv(path: Path) -> Run:
    try:
        net = cv2.dnn.readNetFromTFLite(str(path))
    except cv2.error as exc:
        raise McatError(f"OpenCV cannot load {path} as a TFLite model ({str(exc).strip().splitlines()[-1]}); "
                        "it needs OpenCV 5 and a MediaPipe selfie segmentation model") from None
    size = (256, 144) if "landscape" in path.name else (256, 256)  # (width, height) the model expects

    def run(frames: np.ndarray) -> np.ndarray:
        net.setInput(cv2.dnn.blobFromImages(list(frames), 1 / 255.0, size, swapRB=True))
        return net.forward()[:, 0]
    return run


def _load(model: str, key: str, example: str, runtime: str) -> Run:
    path = Path(model)
    if not path.is_file():
        raise McatError(f"selfie model {path} does not exist: set masks.selfie.{key} to a MediaPipe selfie "
                        f"segmentation .tflite file (e.g. ../shared/models/{example})")
    return _litert(path) if runtime == "litert" else _opencv(path)


class SelfieSegmenter:
    def __init__(self, params: SelfieParams):
        self.general = _load(params.model, "model", "mediapipe_selfie_segmentation_256x256.tflite", params.runtime)
        self.landscape = None if not params.landscape_model else _load(
            params.landscape_model, "landscape_model", "mediapipe_selfie_segmentation_landscape_144x256.tflite",
            params.runtime)
        self.threshold = params.threshold

    def run(self, frames: np.ndarray) -> np.ndarray:
        """BGR uint8 [B, H, W, 3] → person probability float32 [B, S_h, S_w], from the landscape model for frames
        wider than tall (when one is set), else from the general one."""
        wide = self.landscape is not None and frames.shape[2] > frames.shape[1]
        return (self.landscape if wide else self.general)(frames)

    def reset(self) -> None:
        pass

    def segment(self, frames: np.ndarray, framing: Framing | None = None) -> np.ndarray:
        """BGR uint8 [B, H, W, 3] → uint8 {0, 1} [B, H, W]; with ``framing``, [B, R, R]: the model's probabilities
        read at the fitted frame's pixels and thresholded there (:func:`~mcat.data.video.fit_probabilities`: the
        same masks as fitting the full-size ones), never drawn at the frames' size."""
        h, w = frames.shape[1:3]
        if framing is not None:
            return np.stack([fit_probabilities(p, (w, h), framing) > self.threshold
                             for p in self.run(frames)]).astype(np.uint8)
        return np.stack([cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR) > self.threshold
                         for p in self.run(frames)]).astype(np.uint8)
