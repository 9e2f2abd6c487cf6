"""The camera: frame shape per recording, shots (placement, framing, slow zoom and pan) per set, and the
perspective projection of the body's joints.

Everything here is drawn from the recording's generator and never from the exercise: a shot is chosen
before the renderer knows what the subject does in it, so no class can be told from the view, the
framing or the frame's shape (``tests/synth`` checks a classifier on these draws is at chance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcat.config import CameraParams
from mcat.synth.body import J

STANDING_HEIGHT = 1.0  # body heights the framing is set for; a lying subject is framed at the same scale
UPPER_BODY_HEIGHT = 0.5  # hips to the top of the head
MIN_DEPTH = 0.25  # body heights in front of the camera: nearer points are pushed back (walking into the lens)


def frame_shape(camera: CameraParams, width: int, height: int, rng: np.random.Generator) -> tuple[str, int, int]:
    """(orientation, width, height) of one recording: landscape ``width``×``height``, portrait (swapped) or
    square (``height``²)."""
    u = rng.random()
    if u < camera.portrait:
        return "portrait", height, width
    if u < camera.portrait + camera.square:
        return "square", height, height
    return "landscape", width, height


@dataclass(frozen=True)
class Shot:
    """One camera placement for frames ``[start, stop)``: angles in degrees, distance in body heights."""

    start: int
    stop: int
    azimuth: float  # around the subject: 0 in front, ±90 the sides, 180 behind
    elevation: float
    roll: float
    distance: float
    person_height: float  # the standing subject's share of the frame height (full body) or the upper body's
    framing: str  # full | upper
    offset: tuple[float, float]  # where the subject sits, as shares of the frame from its centre
    zoom: tuple[float, float, float]  # amplitude, period in seconds, phase
    pan: tuple[float, float, float]

    @staticmethod
    def sample(camera: CameraParams, start: int, stop: int, rng: np.random.Generator) -> "Shot":
        upper = bool(rng.random() < camera.upper_body)
        return Shot(
            start=start, stop=stop, azimuth=float(rng.uniform(*camera.azimuth)),
            elevation=float(rng.uniform(*camera.elevation)), roll=float(rng.uniform(*camera.roll)),
            distance=float(rng.uniform(*camera.distance)) * (0.6 if upper else 1.0),
            person_height=float(rng.uniform(*camera.person_height)), framing="upper" if upper else "full",
            offset=(float(rng.uniform(-0.15, 0.15)), float(rng.uniform(-0.08, 0.08))),
            zoom=(camera.zoom * float(rng.random()), float(rng.uniform(6, 20)), float(rng.uniform(0, 2 * np.pi))),
            pan=(camera.pan * float(rng.random()), float(rng.uniform(6, 20)), float(rng.uniform(0, 2 * np.pi))))


def plan_shots(camera: CameraParams, set_starts: list[int], n_frames: int, rng: np.random.Generator) -> list[Shot]:
    """Shots covering frames ``[0, n_frames)``: a new one (a cut) at a set's start with chance ``camera.cut``,
    always one for the first set (which also films the lead-in)."""
    bounds = [0] + [s for s in set_starts[1:] if rng.random() < camera.cut] + [n_frames]
    return [Shot.sample(camera, a, b, rng) for a, b in zip(bounds[:-1], bounds[1:])]


def _yaw(deg: np.ndarray) -> np.ndarray:
    """Rotations [N, 3, 3] about the vertical that turn the body's +z (facing) to (sin h, 0, cos h)."""
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    zero, one = np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack([c, zero, s], -1), np.stack([zero, one, zero], -1), np.stack([-s, zero, c], -1)], -2)


def to_world(body_joints: np.ndarray, heading: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Joints [N, J, 3] in the body frame (already on the ground) → world [N, J, 3] (y up)."""
    world = np.einsum("nij,nkj->nki", _yaw(heading), body_joints)
    world[..., 0] += position[:, None, 0]
    world[..., 2] += position[:, None, 1]
    return world


@dataclass(frozen=True)
class View:
    """A shot's camera fixed in the world: position [3], axes (rows right, up, forward) [3, 3], focal length
    in pixels, the image point the target projects to, and the frame size."""

    eye: np.ndarray
    axes: np.ndarray
    focal: float
    centre: tuple[float, float]
    width: int
    height: int
    shot: Shot
    fps: float

    @staticmethod
    def aim(shot: Shot, world: np.ndarray, heading: float, width: int, height: int, fps: float) -> "View":
        """Point the shot's camera at the subject's joints ``world`` [n, J, 3] during the shot; ``heading``
        (degrees) is the way the subject faces when the shot starts."""
        if shot.framing == "upper":
            target = world[:, [J["neck"], J["head"], J["pelvis"]]].mean(axis=(0, 1))
            size = UPPER_BODY_HEIGHT
        else:
            flat = world.reshape(-1, 3)
            target = (flat.min(axis=0) + flat.max(axis=0)) / 2
            size = STANDING_HEIGHT
        a, e = np.deg2rad(shot.azimuth + heading), np.deg2rad(shot.elevation)
        eye = target + shot.distance * np.array([np.sin(a) * np.cos(e), np.sin(e), np.cos(a) * np.cos(e)])
        forward = (target - eye) / np.linalg.norm(target - eye)
        right = np.cross(forward, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        focal = shot.person_height * height * shot.distance / size
        centre = (width / 2 + shot.offset[0] * width, height / 2 + shot.offset[1] * height)
        return View(eye, np.stack([right, up, forward]), focal, centre, width, height, shot, fps)

    def project(self, world: np.ndarray, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """World points [n, P, 3] at frame numbers ``frames`` [n] → pixels [n, P, 2] (x right, y down), depth
        [n, P] and pixels per body height at each point [n, P] (for the parts' widths)."""
        cam = (world - self.eye) @ self.axes.T
        depth = np.maximum(cam[..., 2], MIN_DEPTH)
        t = frames / self.fps
        amp, period, phase = self.shot.zoom
        focal = self.focal * (1 + amp * np.sin(2 * np.pi * t / period + phase))[:, None]
        amp, period, phase = self.shot.pan
        pan = amp * self.width * np.sin(2 * np.pi * t / period + phase)
        x, y = cam[..., 0] * focal / depth, -cam[..., 1] * focal / depth
        roll = np.deg2rad(self.shot.roll)
        c, s = np.cos(roll), np.sin(roll)
        px = np.stack([self.centre[0] + pan[:, None] + c * x - s * y, self.centre[1] + s * x + c * y], -1)
        return px, depth, focal / depth

    def ground_row(self, target_ground: np.ndarray) -> float:
        """The image row of a point on the ground (y = 0) under the subject: where the background's floor
        meets the wall."""
        px, _, _ = self.project(target_ground[None, None], np.zeros(1))
        return float(px[0, 0, 1])
