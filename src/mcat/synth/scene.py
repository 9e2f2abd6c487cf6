"""Everything in a frame but the person: places (room, gym, living room, outdoors), moving distractors,
objects in front of the subject, text/logo/progress-bar overlays, lighting drift, sensor noise, blur,
and the subject's clothing colours and texture."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mcat.synth.body import HAIR, N_MATERIALS, SHIRT, SHOES, SKIN, TROUSERS

_WORDS = ("DAY", "LEGS", "ARMS", "FULL BODY", "HIIT", "WORKOUT", "SET", "REP", "MIN", "HOME", "GYM", "CORE",
          "FAT BURN", "BEGINNER", "NO EQUIPMENT", "FOLLOW ALONG", "30 SEC", "ROUND", "1", "2", "3", "4", "5")
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_PLAIN)


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int, amplitude: float) -> np.ndarray:
    """Low-frequency noise [h, w, 1] float32 in ±amplitude."""
    coarse = rng.uniform(-amplitude, amplitude, size=(cells, max(2, cells * w // h))).astype(np.float32)
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)[..., None]


def _colour(rng: np.random.Generator, low: float = 20, high: float = 235) -> list[float]:
    return rng.uniform(low, high, size=3).tolist()


def _box(img: np.ndarray, rng: np.random.Generator, x: tuple[float, float], y: tuple[float, float],
         w: tuple[float, float], h: tuple[float, float], colour: list[float]) -> tuple[int, int, int, int]:
    """A filled rectangle at random place and size (shares of the image); returns its corners."""
    H, W = img.shape[:2]
    x0, y0 = int(rng.uniform(*x) * W), int(rng.uniform(*y) * H)
    x1, y1 = x0 + int(rng.uniform(*w) * W), y0 + int(rng.uniform(*h) * H)
    cv2.rectangle(img, (x0, y0), (x1, y1), colour, thickness=-1)
    return x0, y0, x1, y1


def place(rng: np.random.Generator, h: int, w: int, seam: int, kind: str) -> np.ndarray:
    """A static background [h, w, 3] float32 (BGR, 0–255) of ``kind`` (room, gym, living_room, outdoors); the
    floor (or ground) starts at row ``seam``."""
    img = np.empty((h, w, 3), np.float32)
    seam = int(np.clip(seam, 0, h))
    if kind == "outdoors":
        sky = np.array(_colour(rng, 150, 250), np.float32)
        rows = np.linspace(0.75, 1.1, max(seam, 1), dtype=np.float32)[:, None, None]
        img[:seam] = sky * rows
        img[seam:] = _colour(rng, 30, 150)  # grass, sand or asphalt
        for _ in range(int(rng.integers(2, 7))):  # trees, buildings, cars on the horizon
            cx, r = int(rng.uniform(0, w)), int(rng.uniform(0.05, 0.2) * h)
            if rng.random() < 0.5:
                cv2.circle(img, (cx, seam - r // 2), r, _colour(rng, 20, 120), thickness=-1)
            else:
                cv2.rectangle(img, (cx, seam - 2 * r), (cx + r, seam), _colour(rng, 40, 200), thickness=-1)
        img += _smooth_noise(rng, h, w, 12, 25.0)
        return img
    img[:] = _colour(rng, 50, 215)
    img[seam:] = _colour(rng, 30, 180)
    if kind == "gym":
        for _ in range(int(rng.integers(2, 6))):  # racks and machines: dark frames with bars
            x0, y0, x1, y1 = _box(img, rng, (0, 0.9), (0.1, 0.5), (0.05, 0.25), (0.2, 0.5), _colour(rng, 10, 80))
            for y in range(y0, y1, max(3, (y1 - y0) // 4)):
                cv2.line(img, (x0, y), (x1, y), _colour(rng, 120, 220), max(1, h // 60))
        for _ in range(int(rng.integers(0, 5))):  # weight plates
            cv2.circle(img, (int(rng.uniform(0, w)), int(rng.uniform(0.5, 1.0) * h)), int(rng.uniform(0.03, 0.08) * h),
                       _colour(rng, 10, 60), thickness=-1)
        if rng.random() < 0.5:  # a mirror wall
            _box(img, rng, (0, 0.5), (0.05, 0.2), (0.3, 0.6), (0.3, 0.5), _colour(rng, 170, 240))
    elif kind == "living_room":
        _box(img, rng, (0, 0.7), (0.1, 0.3), (0.1, 0.3), (0.15, 0.35), _colour(rng, 200, 255))  # window
        _box(img, rng, (0, 0.7), (0.45, 0.6), (0.25, 0.45), (0.12, 0.25), _colour(rng, 30, 200))  # sofa
        if rng.random() < 0.6:
            _box(img, rng, (0, 0.8), (0.2, 0.4), (0.12, 0.22), (0.1, 0.16), _colour(rng, 5, 40))  # television
        if rng.random() < 0.6:
            cv2.ellipse(img, (int(rng.uniform(0, w)), int(rng.uniform(0.4, 0.7) * h)),
                        (int(0.05 * w) + 1, int(0.12 * h) + 1), 0, 0, 360, _colour(rng, 20, 120), thickness=-1)
    else:  # room: posters, shelves, a door
        for _ in range(int(rng.integers(2, 5))):
            _box(img, rng, (0, 0.9), (0, 0.6), (0.08, 0.3), (0.08, 0.3), _colour(rng))
    planks = np.arange(seam, h, max(2, h // 24))
    img[planks] *= 0.85
    img += _smooth_noise(rng, h, w, 6, 18.0)
    return img


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
class Layer:
    """Something drawn over the subject: the flat indices of the pixels it covers [n] and their colours
    [n, 3] float32."""

    cover: np.ndarray
    colours: np.ndarray

    @staticmethod
    def draw(h: int, w: int, paint) -> "Layer":
        """A layer from ``paint(img)``, which draws on a black canvas; whatever it touches covers."""
        canvas = np.zeros((h, w, 3), np.uint8)
        paint(canvas)
        cover = np.flatnonzero(canvas.any(axis=-1))
        return Layer(cover, canvas.reshape(-1, 3)[cover].astype(np.float32))

    def apply(self, img: np.ndarray, mask: np.ndarray) -> None:
        """Draw over ``img`` [h, w, 3] float32 and take the covered pixels out of ``mask`` [h, w]."""
        img.reshape(-1, 3)[self.cover] = self.colours
        mask.reshape(-1)[self.cover] = 0


def occluder(rng: np.random.Generator, h: int, w: int) -> Layer:
    """An object between the camera and the subject, standing on the bottom edge: a bench, a box, a plant."""
    def paint(img: np.ndarray) -> None:
        x0 = int(rng.uniform(-0.1, 0.8) * w)
        x1 = x0 + int(rng.uniform(0.12, 0.35) * w)
        y0 = h - int(rng.uniform(0.08, 0.28) * h)
        colour = _colour(rng, 10, 245)
        if rng.random() < 0.5:
            cv2.rectangle(img, (x0, y0), (x1, h), colour, thickness=-1)
        else:
            cv2.ellipse(img, ((x0 + x1) // 2, h), (max(1, (x1 - x0) // 2), h - y0), 0, 180, 360, colour, thickness=-1)
    return Layer.draw(h, w, paint)


def caption(rng: np.random.Generator, h: int, w: int) -> Layer:
    """Burnt-in text: a title or a set counter, top or bottom, with or without a box behind it."""
    words = " ".join(rng.choice(_WORDS, size=int(rng.integers(1, 4))))
    font = _FONTS[int(rng.integers(len(_FONTS)))]
    scale = rng.uniform(0.25, 0.6) * min(h, w) / 100

    def paint(img: np.ndarray) -> None:
        (tw, th), _ = cv2.getTextSize(words, font, scale, 1)
        x = int(rng.uniform(0.02, max(0.03, 1 - tw / w - 0.02)) * w)
        y = int((rng.uniform(0.05, 0.15) if rng.random() < 0.5 else rng.uniform(0.85, 0.95)) * h) + th // 2
        if rng.random() < 0.5:
            cv2.rectangle(img, (x - 2, y - th - 2), (x + tw + 2, y + 3), _colour(rng, 5, 60), thickness=-1)
        cv2.putText(img, words, (x, y), font, scale, _colour(rng, 180, 255), max(1, int(scale * 1.5)), cv2.LINE_AA)
    return Layer.draw(h, w, paint)


def logo(rng: np.random.Generator, h: int, w: int) -> Layer:
    """A channel logo in a corner."""
    r = max(3, int(rng.uniform(0.03, 0.06) * min(h, w)))
    x = r + 2 if rng.random() < 0.5 else w - r - 3
    y = r + 2 if rng.random() < 0.5 else h - r - 3

    def paint(img: np.ndarray) -> None:
        if rng.random() < 0.5:
            cv2.circle(img, (x, y), r, _colour(rng, 30, 255), thickness=-1)
        else:
            cv2.rectangle(img, (x - r, y - r), (x + r, y + r), _colour(rng, 30, 255), thickness=-1)
        cv2.putText(img, "M", (x - r // 2, y + r // 2), cv2.FONT_HERSHEY_PLAIN, r / 8, (250, 250, 250), 1)
    return Layer.draw(h, w, paint)


@dataclass(frozen=True)
class ProgressBar:
    """A bar along the bottom edge that fills up over the recording."""

    colour: tuple[float, float, float]
    thickness: int

    def apply(self, img: np.ndarray, mask: np.ndarray, progress: float) -> None:
        h, w = img.shape[:2]
        end = max(1, int(progress * w))
        img[h - self.thickness:, :end] = self.colour
        mask[h - self.thickness:, :end] = 0


@dataclass(frozen=True)
class Lighting:
    """Global gain drifting as ``1 + drift·sin(2π t / period + phase)``, a bank of sensor-noise frames, and
    the camera's softness (a down- and up-scale) and motion blur (a share of the previous frame)."""

    drift: float
    period: float
    phase: float
    noise: np.ndarray | None  # [K, h, w, 3] float32, None without sensor noise
    softness: float  # 1 = sharp; 0.5 = detail of a frame half as large
    blur: float  # share of the previous frame mixed in

    @staticmethod
    def sample(rng: np.random.Generator, h: int, w: int, drift: float, noise_std: float,
               motion_blur: float) -> "Lighting":
        bank = (rng.standard_normal((8, h, w, 3)) * noise_std).astype(np.float32) if noise_std > 0 else None
        soft = float(rng.uniform(0.45, 0.9)) if rng.random() < motion_blur else 1.0
        blur = float(rng.uniform(0.2, 0.45)) if rng.random() < motion_blur else 0.0
        return Lighting(drift=drift, period=rng.uniform(5, 15), phase=rng.uniform(0, 2 * np.pi), noise=bank,
                        softness=soft, blur=blur)

    def apply(self, img: np.ndarray, t: float, rng: np.random.Generator, previous: np.ndarray | None) -> np.ndarray:
        """float32 [h, w, 3] (modified in place) → uint8 [h, w, 3]; ``previous`` is the last frame uint8
        [h, w, 3] (None for the first), part of which motion blur mixes in."""
        gain = 1.0 + self.drift * np.sin(2 * np.pi * t / self.period + self.phase)
        img *= np.float32(gain)
        if self.blur and previous is not None:
            img *= np.float32(1 - self.blur)
            img += np.float32(self.blur) * previous
        if self.softness < 1:
            h, w = img.shape[:2]
            small = cv2.resize(img, (max(8, int(w * self.softness)), max(8, int(h * self.softness))),
                               interpolation=cv2.INTER_AREA)
            img[:] = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        if self.noise is not None:
            img += self.noise[rng.integers(len(self.noise))]
        return np.clip(img, 0, 255, out=img).astype(np.uint8)


def clothing(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Colours per material [N_MATERIALS, 3] float32 (BGR), which materials are textured [N_MATERIALS] bool,
    and a texture gain image [h * w] float32 (stripes in screen space)."""
    lut = np.zeros((N_MATERIALS, 3), np.float32)
    skin_tone = rng.uniform(0.3, 1.0)
    lut[SKIN] = np.array([110, 150, 210], np.float32) * skin_tone + 20
    lut[SHIRT] = rng.uniform(15, 245, size=3)
    lut[TROUSERS] = rng.uniform(15, 200, size=3)
    lut[SHOES] = rng.uniform(20, 250, size=3)
    lut[HAIR] = np.array([20, 35, 60], np.float32) * rng.uniform(0.5, 3.5)
    textured = np.zeros(N_MATERIALS, bool)
    textured[[SHIRT, TROUSERS]] = True
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle, period = rng.uniform(0, np.pi), rng.uniform(3, 9)
    stripes = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period)
    strength = rng.uniform(0.0, 0.25)
    return lut, textured, (1 + strength * stripes).ravel().astype(np.float32)
