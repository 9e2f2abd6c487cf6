"""MediaPipe selfie segmentation (Apache-2.0 TFLite models) through OpenCV's DNN module: offline, CPU-fast.

The model takes RGB [B, 3, S, S] in [0, 1] (S from the file: 256×256, or 144×256 landscape) and returns a
person probability [B, 1, S, S]; it is resized back to the frame and thresholded. Good on upright people,
weaker lying down, and it marks every person in view (see ../shared/models/README.md).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mcat.config import SelfieParams
from mcat.errors import McatError


class SelfieSegmenter:
    def __init__(self, params: SelfieParams):
        path = Path(params.model)
        if not path.is_file():
            raise McatError(f"selfie model {path} does not exist: set masks.selfie.model to a MediaPipe selfie "
                            "segmentation .tflite file (e.g. ../shared/models/mediapipe_selfie_segmentation_256x256.tflite)")
        try:
            self.net = cv2.dnn.readNetFromTFLite(str(path))
        except cv2.error as exc:
            raise McatError(f"OpenCV cannot load {path} as a TFLite model ({str(exc).strip().splitlines()[-1]}); "
                            "it needs OpenCV 5 and a MediaPipe selfie segmentation model") from None
        self.threshold = params.threshold
        self.size = (256, 144) if "landscape" in path.name else (256, 256)  # (width, height) the model expects

    def reset(self) -> None:
        pass

    def segment(self, frames: np.ndarray) -> np.ndarray:
        """BGR uint8 [B, H, W, 3] → uint8 {0, 1} [B, H, W]."""
        h, w = frames.shape[1:3]
        blob = cv2.dnn.blobFromImages(list(frames), 1 / 255.0, self.size, swapRB=True)
        self.net.setInput(blob)
        probability = self.net.forward()[:, 0]
        return np.stack([cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR) > self.threshold
                         for p in probability]).astype(np.uint8)
