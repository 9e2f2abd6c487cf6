"""Everything in a frame but the person: a textured room, moving distractors, lighting drift, sensor noise,
and the subject's clothing colours and texture."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mcat.synth.body import FAR, N_MATERIALS, SHIRT, SKIN, TROUSERS


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int, amplitude: float) -> np.ndarray:
    """Low-frequency noise [h, w, 1] float32 in ±amplitude."""
    coarse = rng.uniform(-amplitude, amplitude, size=(cells, max(2, cells * w // h))).astype(np.float32)
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)[..., None]


def room(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, int]:
    """A static background [h, w, 3] float32 (BGR, 0–255) and the floor's y in pixels."""
    floor_y = int(h * rng.uniform(0.86, 0.95))
    wall = rng.uniform(60, 210, size=3)
    floor = rng.uniform(40, 180, size=3)
    img = np.empty((h, w, 3), np.float32)
    img[:] = wall
    img[floor_y - int(h * 0.12):] = floor
    for _ in range(int(rng.integers(2, 5))):  # posters, shelves, a window
        x0, y0 = int(rng.uniform(0, w * 0.9)), int(rng.uniform(0, h * 0.6))
        x1, y1 = x0 + int(rng.uniform(0.08, 0.3) * w), y0 + int(rng.uniform(0.08, 0.3) * h)
        cv2.rectangle(img, (x0, y0), (x1, y1), rng.uniform(20, 235, size=3).tolist(), thickness=-1)
    planks = np.arange(floor_y - int(h * 0.12), h, max(2, h // 24))
    img[planks] *= 0.85
    img += _smooth_noise(rng, h, w, 6, 18.0)
    return img, floor_y


@dataclass(frozen=True)
class Distractor:
    """A shape moving behind the subject on a periodic path (a pendulum, a passer-by's shadow, a screen)."""

    centre: tuple[float, float]
    amplitude: tuple[float, float]
    period: float
    phase: float
    radius: float
    colour: tuple[float, float, float]

    @staticmethod
    def sample(rng: np.random.Generator, h: int, w: int) -> "Distractor":
        return Distractor(
            centre=(rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.6) * h),
            amplitude=(rng.uniform(0.05, 0.3) * w, rng.uniform(0.0, 0.1) * h),
            period=rng.uniform(1.5, 6.0), phase=rng.random(),
            radius=rng.uniform(0.03, 0.08) * h, colour=tuple(rng.uniform(0, 255, size=3)))

    def draw(self, img: np.ndarray, t: float) -> None:
        angle = 2 * np.pi * (t / self.period + self.phase)
        x = self.centre[0] + self.amplitude[0] * np.sin(angle)
        y = self.centre[1] + self.amplitude[1] * np.cos(angle)
        cv2.circle(img, (int(round(x * 16)), int(round(y * 16))), int(round(self.radius * 16)), self.colour,
                   thickness=-1, shift=4)


@dataclass(frozen=True)
class Lighting:
    """Global gain drifting as ``1 + drift·sin(2π t / period + phase)``, and a bank of sensor-noise frames."""

    drift: float
    period: float
    phase: float
    noise: np.ndarray | None  # [K, h, w, 3] float32, None without sensor noise

    @staticmethod
    def sample(rng: np.random.Generator, h: int, w: int, drift: float, noise_std: float) -> "Lighting":
        bank = (rng.standard_normal((8, h, w, 3)) * noise_std).astype(np.float32) if noise_std > 0 else None
        return Lighting(drift=drift, period=rng.uniform(5, 15), phase=rng.uniform(0, 2 * np.pi), noise=bank)

    def apply(self, img: np.ndarray, t: float, rng: np.random.Generator) -> np.ndarray:
        """float32 [h, w, 3] (modified in place) → uint8 [h, w, 3]."""
        gain = 1.0 + self.drift * np.sin(2 * np.pi * t / self.period + self.phase)
        img *= np.float32(gain)
        if self.noise is not None:
            img += self.noise[rng.integers(len(self.noise))]
        return np.clip(img, 0, 255, out=img).astype(np.uint8)


def clothing(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Colours per material [N_MATERIALS, 3] float32 (BGR) and a texture gain image [h, w, 1] float32.

    The texture (stripes in screen space) is meant for clothing only, never skin.
    """
    lut = np.zeros((N_MATERIALS, 3), np.float32)
    skin_tone = rng.uniform(0.35, 1.0)
    lut[SKIN] = np.array([110, 150, 210], np.float32) * skin_tone + 20
    lut[SHIRT] = rng.uniform(15, 245, size=3)
    lut[TROUSERS] = rng.uniform(15, 200, size=3)
    for material in (SKIN, SHIRT, TROUSERS):
        lut[material + FAR] = lut[material] * 0.72
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle, period = rng.uniform(0, np.pi), rng.uniform(3, 9)
    stripes = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period)
    strength = rng.uniform(0.0, 0.25)
    texture = (1 + strength * stripes)[..., None].astype(np.float32)
    return lut, texture
