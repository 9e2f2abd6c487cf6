"""Ultralytics YOLO instance segmentation (AGPL-3.0), person class only — the paper's mask generator.

Frames go to the model in batches (``masks.batch_size``) with ``retina_masks`` so masks come at frame size;
one person is kept per frame by ``masks.yolo.instance``: ``largest`` (most pixels), ``track`` (the person
overlapping the previous frame's mask most; the largest when nothing overlaps) or ``union`` (everyone).

Ultralytics runs offline-safe (:mod:`mcat.yolo`); when the weights cannot be had, the error names
``masks.yolo.weights``.
"""

from __future__ import annotations

import numpy as np

from mcat.config import YoloParams
from mcat.data.framing import Framing
from mcat.masks.backends import fitted
from mcat.yolo import load_yolo, torch_threads_kept, yolo_device

PERSON = 0  # COCO class id


def pick_instance(instances: np.ndarray, previous: np.ndarray | None, rule: str) -> np.ndarray:
    """One mask [H, W] bool from person instances [K, H, W] bool by ``rule`` (empty when K = 0)."""
    if not len(instances):
        return np.zeros(instances.shape[1:], bool)
    if rule == "union":
        return instances.any(axis=0)
    areas = instances.reshape(len(instances), -1).sum(axis=1)
    if rule == "track" and previous is not None and previous.any():
        overlap = (instances & previous).reshape(len(instances), -1).sum(axis=1)
        if overlap.max() > 0:
            return instances[int(np.argmax(overlap))]
    return instances[int(np.argmax(areas))]


class YoloSegmenter:
    def __init__(self, params: YoloParams, batch_size: int):
        self.params, self.batch_size = params, batch_size
        self.model = load_yolo(params.weights)
        self.device = yolo_device(params.device, "masks.yolo.device")
        self.half = params.half and self.device.startswith("cuda")
        self.previous: np.ndarray | None = None

    def reset(self) -> None:
        self.previous = None

    def segment(self, frames: np.ndarray, framing: Framing | None = None) -> np.ndarray:
        """BGR uint8 [B, H, W, 3] → uint8 {0, 1} [B, H, W] (with ``framing``: fitted, [B, R, R]); frames in
        recording order (for ``track``)."""
        with torch_threads_kept():
            return fitted(self._segment(frames), framing)

    def _segment(self, frames: np.ndarray) -> np.ndarray:
        results = self.model.predict(list(frames), classes=[PERSON], conf=self.params.confidence,
                                     imgsz=self.params.imgsz, retina_masks=True, device=self.device,
                                     half=self.half, batch=self.batch_size, max_det=self.params.max_persons, stream=True,
                                     verbose=False)
        out = np.zeros(frames.shape[:3], np.uint8)
        for i, result in enumerate(results):
            if result.masks is None:
                instances = np.zeros((0, *frames.shape[1:3]), bool)
            else:
                instances = result.masks.data.cpu().numpy() > 0.5
            chosen = pick_instance(instances, self.previous, self.params.instance)
            out[i] = chosen
            self.previous = chosen if chosen.any() else self.previous
        return out
