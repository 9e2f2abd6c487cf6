"""Rasterise a pose into a part-id image (whose non-zero pixels are the exact person mask) and compose
the video frame around it."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mcat.synth.body import FAR, KEY, N_MATERIALS, SHIRT, TROUSERS, Proportions, capsules, lowest_point
from mcat.synth.scene import Distractor, Lighting, clothing, room

_SHIFT = 4  # OpenCV sub-pixel coordinates: 4 fractional bits
_ONE = 1 << _SHIFT


@dataclass(frozen=True)
class Scene:
    """One recording's fixed look: the room, the subject, the camera placement, distractors and lighting."""

    height: int
    width: int
    background: np.ndarray  # [h, w, 3] float32
    floor_y: int
    body: Proportions
    appearance: np.ndarray  # [N_MATERIALS, h * w, 3] float32: each material's textured colour at every pixel
    body_px: float  # body height in pixels
    centre_x: float
    distractors: tuple[Distractor, ...]
    lighting: Lighting

    @staticmethod
    def sample(rng: np.random.Generator, height: int, width: int, n_distractors: int, drift: float,
               noise_std: float) -> "Scene":
        background, floor_y = room(rng, height, width)
        colours, texture = clothing(rng, height, width)
        textured = np.zeros(N_MATERIALS, bool)
        textured[[SHIRT, TROUSERS, SHIRT + FAR, TROUSERS + FAR]] = True  # clothing, never skin
        gain = np.where(textured[:, None, None], texture.reshape(1, -1, 1), np.float32(1))
        return Scene(
            height=height, width=width, background=background, floor_y=floor_y,
            body=Proportions.sample(rng), appearance=(colours[:, None, :] * gain).astype(np.float32),
            body_px=rng.uniform(0.6, 0.78) * height, centre_x=rng.uniform(0.38, 0.62) * width,
            distractors=tuple(Distractor.sample(rng, height, width) for _ in range(n_distractors)),
            lighting=Lighting.sample(rng, height, width, drift, noise_std))

    def person(self, pose: np.ndarray, view: int, facing: float) -> np.ndarray:
        """Part-id image uint8 [h, w]: 0 background, else the material of the body part on top."""
        parts = capsules(pose, self.body, view, facing)
        ground = lowest_point(parts)
        offset = np.array([self.centre_x / self.body_px + pose[KEY["x"]],
                           self.floor_y / self.body_px - ground - pose[KEY["lift"]]])
        ids = np.zeros((self.height, self.width), np.uint8)
        for part in parts:
            a = tuple(int(v) for v in np.round((part.a + offset) * self.body_px * _ONE))
            b = tuple(int(v) for v in np.round((part.b + offset) * self.body_px * _ONE))
            thickness = max(1, int(round(part.width * self.body_px)))
            if a == b:
                cv2.circle(ids, a, thickness * _ONE // 2, int(part.material), thickness=-1, shift=_SHIFT)
            else:
                cv2.line(ids, a, b, int(part.material), thickness=thickness, lineType=cv2.LINE_8, shift=_SHIFT)
        return ids

    def frame(self, ids: np.ndarray, t: float, rng: np.random.Generator) -> np.ndarray:
        """Compose the frame uint8 [h, w, 3] (BGR) at time ``t`` seconds around part-id image ``ids``."""
        img = self.background.copy()
        for distractor in self.distractors:
            distractor.draw(img, t)
        person = np.flatnonzero(ids)
        img.reshape(-1, 3)[person] = self.appearance[ids.ravel()[person], person]
        return self.lighting.apply(img, t, rng)
