"""MediaPipe BlazePose lite landmarks (Apache-2.0 TFLite), offline on the CPU with LiteRT.

The landmark model expects one person centred in a 256×256 RGB crop (MediaPipe finds it with a detector; here
the person mask gives it): the crop is the box of the frame's person mask, made square around its centre and
``crop_scale`` times its longer side. The model returns 39 landmarks × (x, y, z, visibility logit, presence
logit) in crop pixels, of which the first 33 are the body's, and a person score; a frame whose score is under
``min_presence``, or whose mask is empty with no earlier box to reuse, has no pose.

A joint's visibility is, with ``visibility: seen``, 1 wherever the model places it in the frame: the convention of
the provided keypoints that models are trained on, which read positions times visibility
(:mod:`mcat.models.pose`). The model's own score (``confidence``, the sigmoid of its logit) is below 0.67 for a
quarter of the joints it places on the renders and shrinks their positions toward the corner; on the demo's 5
seeds ``seen`` scores +5.5 ± 3.3 test macro-F1 points over it (docs/results.md, *Which visibility BlazePose gives*).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mcat import litert
from mcat.config import BlazePoseParams
from mcat.errors import McatError
from mcat.pose.joints import BLAZEPOSE, K, select

SIZE = 256


class BlazePose:
    def __init__(self, params: BlazePoseParams):
        path = Path(params.model)
        if not path.is_file():
            raise McatError(f"pose model {path} does not exist: set pose.blazepose.model to the MediaPipe BlazePose "
                            "landmark .tflite file (e.g. ../shared/models/mediapipe_pose_landmark_lite_with_"
                            "segmentation.tflite)")
        self.runner = litert.interpreter(path, needs="the MediaPipe BlazePose landmark model (pose_landmark_lite)",
                                         otherwise="or set pose.backend=provided or yolo")
        given = self.runner.get_input_details()[0]
        outputs = {tuple(d["shape"][1:]): d["index"] for d in self.runner.get_output_details()}
        if tuple(given["shape"][1:]) != (SIZE, SIZE, 3) or (195,) not in outputs or (1,) not in outputs:
            raise McatError(f"{path} is not the BlazePose landmark model: it takes {list(given['shape'])} and gives "
                            f"{sorted(outputs)}; set pose.blazepose.model to pose_landmark_lite")
        self.input, self.landmarks, self.score = given["index"], outputs[(195,)], outputs[(1,)]
        self.params = params

    def estimate(self, frame: np.ndarray, box: np.ndarray | None) -> np.ndarray:
        """BGR uint8 [H, W, 3] and the person box (x0, y0, x1, y1 in ``[0, 1]``, or None) → keypoints float32
        [K, 3]: x, y in ``[0, 1]`` of the frame and the visibility (all 0 when no person is found)."""
        if box is None:
            return np.zeros((K, 3), np.float32)
        h, w = frame.shape[:2]
        centre = (box[:2] + box[2:]) / 2 * [w, h]
        side = max((box[2] - box[0]) * w, (box[3] - box[1]) * h) * self.params.crop_scale
        corner = centre - side / 2
        scale = SIZE / side
        to_crop = np.array([[scale, 0, -corner[0] * scale], [0, scale, -corner[1] * scale]], np.float32)
        crop = cv2.warpAffine(frame, to_crop, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        self.runner.set_tensor(self.input, cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)[None] / np.float32(255.0))
        self.runner.invoke()
        if float(self.runner.get_tensor(self.score).ravel()[0]) < self.params.min_presence:
            return np.zeros((K, 3), np.float32)
        raw = self.runner.get_tensor(self.landmarks).reshape(39, 5)[:33]  # x, y, z (crop px), visibility logit, ...
        xy = (raw[:, :2] / scale + corner) / [w, h]
        visibility = 1 / (1 + np.exp(-raw[:, 3:4]))
        points = select(np.concatenate([xy, visibility], axis=1), BLAZEPOSE)
        points[..., 2] *= ((points[..., :2] >= 0) & (points[..., :2] <= 1)).all(axis=-1)  # out of the frame: unseen
        if self.params.visibility == "seen":
            points[..., 2] = points[..., 2] > 0
        return points
