"""Ultralytics YOLO-pose (AGPL-3.0; COCO's 17 keypoints), the same offline-safe loading and weights rules as the
YOLO masks (:mod:`mcat.yolo`). Of the people found in a frame, the one whose box overlaps the
person mask's box most is kept (the mask says who the recording is about)."""

from __future__ import annotations

import numpy as np

from mcat.config import YoloPoseParams
from mcat.yolo import load_yolo, torch_threads_kept, yolo_device
from mcat.pose.joints import COCO, K, select


def box_overlap(boxes: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Intersection over union of boxes float [P, 4] with one box [4] (x0, y0, x1, y1)."""
    lo, hi = np.maximum(boxes[:, :2], box[:2]), np.minimum(boxes[:, 2:], box[2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1) + np.prod(box[2:] - box[:2])
    return inter / np.maximum(area - inter, 1e-9)


class YoloPose:
    def __init__(self, params: YoloPoseParams):
        self.params = params
        self.model = load_yolo(params.weights, task="pose", setting="pose.yolo.weights")
        self.device = yolo_device(params.device, "pose.yolo.device")

    def estimate(self, frame: np.ndarray, box: np.ndarray | None) -> np.ndarray:
        """BGR uint8 [H, W, 3] and the person box (x0, y0, x1, y1 in ``[0, 1]``, or None) → keypoints float32
        [K, 3] (all 0 when nobody is found)."""
        with torch_threads_kept():
            [result] = self.model.predict(frame, conf=self.params.confidence, imgsz=self.params.imgsz,
                                          device=self.device, verbose=False)
        if result.keypoints is None or not len(result.boxes):
            return np.zeros((K, 3), np.float32)
        boxes = result.boxes.xyxyn.cpu().numpy()
        person = int(np.argmax(box_overlap(boxes, box) if box is not None else np.prod(boxes[:, 2:] - boxes[:, :2], 1)))
        xy = result.keypoints.xyn.cpu().numpy()[person]
        conf = result.keypoints.conf
        visibility = conf.cpu().numpy()[person][:, None] if conf is not None else np.ones((len(xy), 1), np.float32)
        return select(np.concatenate([xy, visibility], axis=1), COCO)
