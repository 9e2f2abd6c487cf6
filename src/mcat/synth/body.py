"""A 3-D articulated humanoid: per-subject proportions and forward kinematics from joint angles to joints.

Body frame: pelvis at the origin, ``y`` up, ``z`` the way the subject faces, ``x`` the subject's left.
Pose angles are in degrees; the vector layout is :data:`POSE_KEYS`.

- ``torso``: forward lean of the pelvis→neck line about the left–right axis; +90 lies face down (push-up),
  -90 on the back (sit-up). Limbs hang from the torso's frame.
- ``shoulder_*``, ``hip_*``: flexion, the limb raised forwards from the torso's downward direction (hip
  extension is negative); ``abduct_arm_*``, ``abduct_leg_*``: the limb raised sideways, outwards.
- ``elbow_*``: forearm bent relative to the upper arm (flexion positive); ``knee_*``: shin relative to
  thigh, negative is flexion. ``hinge_arm_*`` turns the elbow's bending plane from the sagittal plane
  (0: a curl) to the frontal plane (90: a shoulder press with the forearm up).
- ``lift``: height above the ground (a jump), in body heights.

Where the body stands and which way it faces are not part of the pose (see :mod:`mcat.synth.motion`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

POSE_KEYS = (
    "torso",
    "shoulder_l", "abduct_arm_l", "hinge_arm_l", "elbow_l",
    "shoulder_r", "abduct_arm_r", "hinge_arm_r", "elbow_r",
    "hip_l", "abduct_leg_l", "knee_l",
    "hip_r", "abduct_leg_r", "knee_r",
    "lift",
)
KEY = {name: i for i, name in enumerate(POSE_KEYS)}

#: Joints of :func:`joints`, in order (their 3-D positions are rows of its output).
JOINTS = (
    "pelvis", "neck", "head",
    "shoulder_l", "elbow_l", "wrist_l", "shoulder_r", "elbow_r", "wrist_r",
    "hip_l", "knee_l", "ankle_l", "hip_r", "knee_r", "ankle_r",
    "toe_l", "toe_r", "hair",
)
J = {name: i for i, name in enumerate(JOINTS)}

# Materials of the part-id image (each drawn in three shades, see mcat.synth.render).
SKIN, SHIRT, TROUSERS, SHOES, HAIR = range(5)
N_MATERIALS = 5

SIDES = (("l", 1.0), ("r", -1.0))  # the subject's left is +x


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
    """Segment lengths and radii in body heights (a standing adult is about 1.0 tall)."""

    torso: float = 0.30
    neck: float = 0.10
    head_radius: float = 0.065
    upper_arm: float = 0.17
    forearm: float = 0.16
    thigh: float = 0.245
    shin: float = 0.25
    foot: float = 0.11
    shoulder_half_width: float = 0.10
    hip_half_width: float = 0.06
    chest_radius: float = 0.085
    waist_radius: float = 0.07
    arm_radius: float = 0.03
    leg_radius: float = 0.048
    long_sleeves: bool = False
    shorts: bool = False
    hair: float = 0.5  # how far the hair comes down the head's back, 0–1

    @staticmethod
    def sample(rng: np.random.Generator) -> "Proportions":
        """A random subject: lengths jittered ±6%, girth 0.8–1.35×, clothing and hair style."""
        base = Proportions()
        girth = rng.uniform(0.8, 1.35)
        scaled = {}
        for name in ("torso", "neck", "head_radius", "upper_arm", "forearm", "thigh", "shin", "shoulder_half_width"):
            scaled[name] = getattr(base, name) * rng.uniform(0.94, 1.06)
        for name in ("hip_half_width", "chest_radius", "waist_radius", "arm_radius", "leg_radius"):
            scaled[name] = getattr(base, name) * girth
        return Proportions(**scaled, foot=base.foot, long_sleeves=bool(rng.random() < 0.5),
                           shorts=bool(rng.random() < 0.4), hair=float(rng.uniform(0.1, 1.0)))


@dataclass(frozen=True)
class Capsule:
    """A body part drawn from joint ``a`` to joint ``b`` (indices into :data:`JOINTS`, equal for a ball)."""

    a: int
    b: int
    radius: float
    material: int


def body_parts(body: Proportions) -> tuple[Capsule, ...]:
    """The capsules that make the body, in no particular order (the renderer sorts them by depth)."""
    sleeve = SHIRT if body.long_sleeves else SKIN
    shin = SKIN if body.shorts else TROUSERS
    parts = [Capsule(J["pelvis"], J["neck"], body.waist_radius, SHIRT),
             Capsule(J["neck"], J["head"], body.arm_radius * 1.3, SKIN),
             Capsule(J["head"], J["head"], body.head_radius, SKIN),
             Capsule(J["hair"], J["hair"], body.head_radius * (0.75 + 0.25 * body.hair), HAIR)]
    for side, _ in SIDES:
        parts += [
            Capsule(J[f"hip_{side}"], J[f"shoulder_{side}"], body.chest_radius, SHIRT),
            Capsule(J[f"shoulder_{side}"], J[f"elbow_{side}"], body.arm_radius, SHIRT),
            Capsule(J[f"elbow_{side}"], J[f"wrist_{side}"], body.arm_radius * 0.85, sleeve),
            Capsule(J[f"wrist_{side}"], J[f"wrist_{side}"], body.arm_radius * 1.1, SKIN),
            Capsule(J[f"hip_{side}"], J[f"knee_{side}"], body.leg_radius, TROUSERS),
            Capsule(J[f"knee_{side}"], J[f"ankle_{side}"], body.leg_radius * 0.8, shin),
            Capsule(J[f"ankle_{side}"], J[f"toe_{side}"], body.leg_radius * 0.7, SHOES),
        ]
    return tuple(parts)


def _rot_x(deg: np.ndarray) -> np.ndarray:
    """Rotations [N, 3, 3] about x by ``deg`` [N]: positive turns +y towards +z (a forward lean)."""
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    one, zero = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([one, zero, zero], -1), np.stack([zero, c, -s], -1), np.stack([zero, s, c], -1)], -2)


def _rot_axis(axis: np.ndarray, deg: np.ndarray) -> np.ndarray:
    """Rotations [N, 3, 3] by ``deg`` [N] about unit ``axis`` [N, 3] (Rodrigues)."""
    a = np.deg2rad(deg)[:, None, None]
    k = np.zeros((len(axis), 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k -= k.transpose(0, 2, 1)
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * (k @ k)


DOWN = np.array([0.0, -1.0, 0.0])
FORWARD = np.array([0.0, 0.0, 1.0])


def _limb(torso: np.ndarray, flex: np.ndarray, abduct: np.ndarray, hinge: np.ndarray, bend: np.ndarray,
          sign: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directions [N, 3] of a limb's upper and lower segment and of the lower segment's forward axis.

    Abduction turns the limb outwards (towards ``sign``·x), flexion then forwards; the lower segment bends
    by ``bend`` about an axis that ``hinge`` turns from the left–right axis to the front–back axis."""
    out = np.zeros((len(flex), 3))
    out[:, 0] = sign
    upper = torso @ _rot_x(-flex) @ _rot_axis(np.broadcast_to(FORWARD, out.shape), sign * abduct)
    h = np.deg2rad(hinge)
    axis = np.stack([-np.cos(h), np.zeros_like(h), sign * np.sin(h)], -1)
    lower = upper @ _rot_axis(axis, bend)
    return upper @ DOWN, lower @ DOWN, lower @ FORWARD


def joints(poses: np.ndarray, body: Proportions) -> np.ndarray:
    """Forward kinematics: poses [N, len(POSE_KEYS)] → joint positions [N, len(JOINTS), 3] in the body frame
    (pelvis at the origin, before ``lift`` and before standing the body on the ground)."""
    p = np.asarray(poses, np.float64)
    n = len(p)
    out = np.zeros((n, len(JOINTS), 3))
    torso = _rot_x(p[:, KEY["torso"]])
    up = torso @ np.array([0.0, 1.0, 0.0])
    lateral = torso @ np.array([1.0, 0.0, 0.0])
    out[:, J["neck"]] = up * body.torso
    out[:, J["head"]] = out[:, J["neck"]] + up * (body.neck + body.head_radius * 0.6)
    back = torso @ np.array([0.0, 0.35, -0.45]) * body.head_radius
    out[:, J["hair"]] = out[:, J["head"]] + back * (1.2 - 0.4 * body.hair)
    for side, sign in SIDES:
        shoulder = out[:, J["neck"]] - up * 0.03 + lateral * sign * body.shoulder_half_width
        upper, lower, _ = _limb(torso, p[:, KEY[f"shoulder_{side}"]], p[:, KEY[f"abduct_arm_{side}"]],
                                p[:, KEY[f"hinge_arm_{side}"]], p[:, KEY[f"elbow_{side}"]], sign)
        out[:, J[f"shoulder_{side}"]] = shoulder
        out[:, J[f"elbow_{side}"]] = shoulder + upper * body.upper_arm
        out[:, J[f"wrist_{side}"]] = out[:, J[f"elbow_{side}"]] + lower * body.forearm
        hip = lateral * sign * body.hip_half_width
        upper, lower, forward = _limb(torso, p[:, KEY[f"hip_{side}"]], p[:, KEY[f"abduct_leg_{side}"]],
                                      np.zeros(n), p[:, KEY[f"knee_{side}"]], sign)
        out[:, J[f"hip_{side}"]] = hip
        out[:, J[f"knee_{side}"]] = hip + upper * body.thigh
        out[:, J[f"ankle_{side}"]] = out[:, J[f"knee_{side}"]] + lower * body.shin
        out[:, J[f"toe_{side}"]] = out[:, J[f"ankle_{side}"]] + forward * body.foot
    return out


def radii(body: Proportions) -> np.ndarray:
    """Per joint [len(JOINTS)], the largest radius of the parts that end there (for ground contact)."""
    r = np.zeros(len(JOINTS))
    for part in body_parts(body):
        r[part.a] = max(r[part.a], part.radius)
        r[part.b] = max(r[part.b], part.radius)
    return r


def on_the_ground(positions: np.ndarray, body: Proportions, lift: np.ndarray) -> np.ndarray:
    """Joints [N, J, 3] moved up or down so that the lowest part touches y = 0, then raised by ``lift`` [N]."""
    bottom = (positions[..., 1] - radii(body)).min(axis=1)
    return positions + np.stack([np.zeros_like(lift), lift - bottom, np.zeros_like(lift)], -1)[:, None, :]
