"""A 2-D humanoid: per-subject proportions and forward kinematics from joint angles to capsules.

Pose angles are in degrees; the vector layout is :data:`POSE_KEYS`. Conventions (side view, facing
``+x``; image ``y`` grows downwards):

- ``torso``: lean of the pelvis→neck line from vertical; +90 lies face down (push-up), -90 on the back.
- ``shoulder_*``, ``hip_*``: the limb's angle from the torso's downward direction, positive forwards
  (arms raised to the front, hip flexion). In the front view the same angle is abduction, outwards.
- ``elbow_*``: forearm relative to upper arm, positive is flexion; ``knee_*``: shin relative to thigh,
  negative is flexion.
- ``lift``: vertical offset above the ground (a jump), ``x``: horizontal offset (walking); both in body
  heights.

Side ``r`` is the limb nearer the camera in the side view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

POSE_KEYS = (
    "torso",
    "shoulder_l", "elbow_l", "shoulder_r", "elbow_r",
    "hip_l", "knee_l", "hip_r", "knee_r",
    "lift", "x",
)
KEY = {name: i for i, name in enumerate(POSE_KEYS)}

SIDE, FRONT = 0, 1

# Materials of the part-id image; a far limb in the side view uses the material + FAR (a darker shade).
SKIN, SHIRT, TROUSERS = 1, 2, 3
FAR = 3
N_MATERIALS = 7


def pose(**angles: float) -> np.ndarray:
    """A pose vector [len(POSE_KEYS)] float32 from named values (missing keys are 0)."""
    unknown = set(angles) - set(KEY)
    if unknown:
        raise ValueError(f"unknown pose keys {sorted(unknown)}")
    vec = np.zeros(len(POSE_KEYS), np.float32)
    for name, value in angles.items():
        vec[KEY[name]] = value
    return vec


@dataclass(frozen=True)
class Proportions:
    """Segment lengths and widths in body heights (a standing adult is about 1.0 tall)."""

    torso: float = 0.30
    neck: float = 0.10
    head_radius: float = 0.07
    upper_arm: float = 0.17
    forearm: float = 0.16
    thigh: float = 0.245
    shin: float = 0.25
    shoulder_half_width: float = 0.10
    hip_half_width: float = 0.055
    torso_depth: float = 0.16
    torso_width: float = 0.22
    arm_width: float = 0.065
    leg_width: float = 0.095
    long_sleeves: bool = False
    shorts: bool = False

    @staticmethod
    def sample(rng: np.random.Generator) -> "Proportions":
        """A random subject: lengths jittered ±6%, body width 0.8–1.35×, clothing style."""
        base = Proportions()
        girth = rng.uniform(0.8, 1.35)
        scaled = {}
        for name in ("torso", "neck", "head_radius", "upper_arm", "forearm", "thigh", "shin", "shoulder_half_width"):
            scaled[name] = getattr(base, name) * rng.uniform(0.94, 1.06)
        for name in ("hip_half_width", "torso_depth", "torso_width", "arm_width", "leg_width"):
            scaled[name] = getattr(base, name) * girth
        return Proportions(**scaled, long_sleeves=bool(rng.random() < 0.5), shorts=bool(rng.random() < 0.4))


@dataclass(frozen=True)
class Capsule:
    """A filled segment from ``a`` to ``b`` (body units, x right, y down) of ``width``, drawn in ``material``."""

    a: np.ndarray
    b: np.ndarray
    width: float
    material: int


def _direction(angle_deg: float, sign: float) -> np.ndarray:
    """Unit vector at ``angle`` from straight down, rotating towards ``sign``·x."""
    rad = np.deg2rad(angle_deg)
    return np.array([sign * np.sin(rad), np.cos(rad)])


def capsules(p: np.ndarray, body: Proportions, view: int, facing: float) -> list[Capsule]:
    """Forward kinematics: pose [len(POSE_KEYS)] → capsules in drawing order (far first), pelvis at origin.

    ``facing`` is +1 (facing +x) or -1. The head is a capsule of zero length.
    """
    lean = float(p[KEY["torso"]]) if view == SIDE else 0.0
    up = _direction(180.0 - lean, facing)
    neck = up * body.torso
    torso_down = -lean
    if view == SIDE:
        across = np.zeros(2)
        limb_sign = {"l": facing, "r": facing}
    else:
        across = np.array([1.0, 0.0])
        limb_sign = {"l": -1.0, "r": 1.0}
    side_offset = {"l": -1.0, "r": 1.0}

    def limb(side: str, root: np.ndarray, upper_key: str, lower_key: str, lengths: tuple[float, float],
             materials: tuple[int, int], width: float) -> list[Capsule]:
        sign = limb_sign[side]
        upper_angle = torso_down + float(p[KEY[f"{upper_key}_{side}"]])
        lower_angle = upper_angle + float(p[KEY[f"{lower_key}_{side}"]])
        mid = root + _direction(upper_angle, sign) * lengths[0]
        end = mid + _direction(lower_angle, sign) * lengths[1]
        shade = FAR if (view == SIDE and side == "l") else 0
        return [Capsule(root, mid, width, materials[0] + shade), Capsule(mid, end, width * 0.85, materials[1] + shade)]

    def arm(side: str) -> list[Capsule]:
        root = neck - up * 0.03 + across * side_offset[side] * body.shoulder_half_width
        forearm = SHIRT if body.long_sleeves else SKIN
        return limb(side, root, "shoulder", "elbow", (body.upper_arm, body.forearm), (SHIRT, forearm), body.arm_width)

    def leg(side: str) -> list[Capsule]:
        root = across * side_offset[side] * body.hip_half_width
        shin = SKIN if body.shorts else TROUSERS
        return limb(side, root, "hip", "knee", (body.thigh, body.shin), (TROUSERS, shin), body.leg_width)

    torso_width = body.torso_depth if view == SIDE else body.torso_width
    torso = Capsule(np.zeros(2), neck, torso_width, SHIRT)
    head_centre = neck + up * body.neck
    head = Capsule(head_centre, head_centre, 2 * body.head_radius, SKIN)
    return [*leg("l"), *arm("l"), torso, head, *leg("r"), *arm("r")]


def lowest_point(parts: list[Capsule]) -> float:
    """The largest y (lowest on screen) any capsule reaches, in body units."""
    return max(max(c.a[1], c.b[1]) + c.width / 2 for c in parts)
