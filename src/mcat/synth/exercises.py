"""Exercises in 3-D as joint-angle trajectories: variants of a rest pose and a peak pose, and a base (slow)
rep period.

One rep moves rest → peak → rest along ``s(ψ) = (1 - cos 2πψ) / 2``; range of motion scales the
excursion and the domain's tempo divides the period (see :mod:`mcat.synth.motion`). No exercise carries
a camera view: the camera is drawn per shot, independently of what the subject does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcat.synth.body import KEY, pose


@dataclass(frozen=True)
class Variant:
    """One way to perform an exercise: poses [len(POSE_KEYS)] in degrees / body heights."""

    name: str
    rest: np.ndarray
    peak: np.ndarray


@dataclass(frozen=True)
class Exercise:
    """An exercise: its variants (one is drawn per set) and seconds per slow rep."""

    variants: tuple[Variant, ...]
    period: float


def _arms(shoulder: float = 0, elbow: float = 0, abduct: float = 0, hinge: float = 0) -> dict:
    return {f"{key}_{side}": value for side in "lr"
            for key, value in (("shoulder", shoulder), ("elbow", elbow), ("abduct_arm", abduct), ("hinge_arm", hinge))}


def _legs(hip: float = 0, knee: float = 0, abduct: float = 0) -> dict:
    return {f"{key}_{side}": value for side in "lr" for key, value in (("hip", hip), ("knee", knee), ("abduct_leg", abduct))}


def _v(name: str, rest: dict, peak: dict) -> Variant:
    return Variant(name, pose(**rest), pose(**peak))


SEATED = _legs(88, -88, 8)
STAND = pose(**_arms(6, 8, 6), **_legs(0, -2, 3))

EXERCISES: dict[str, Exercise] = {
    "squats": Exercise(period=3.0, variants=(
        _v("hip_width", {"torso": 4, **_arms(20, 10), **_legs(2, -4, 6)},
           {"torso": 38, **_arms(85, 5), **_legs(105, -115, 10)}),
        _v("wide", {"torso": 4, **_arms(15, 90, 5, 20), **_legs(2, -4, 20)},
           {"torso": 30, **_arms(30, 100, 5, 20), **_legs(95, -100, 32)}),
        _v("bodyweight_deep", {"torso": 2, **_arms(90, 0), **_legs(0, -2, 8)},
           {"torso": 45, **_arms(95, 0), **_legs(125, -135, 12)}),
    )),
    "lunges": Exercise(period=3.2, variants=(
        _v("forward", {"torso": 2, **_arms(8, 10, 6), "hip_r": 5, "knee_r": -3, "hip_l": -5, "knee_l": -3},
           {"torso": 4, **_arms(8, 15, 6), "hip_r": 80, "knee_r": -88, "hip_l": -35, "knee_l": -95}),
        _v("hands_on_hips", {"torso": 2, **_arms(-10, 100, 35, 60), "hip_l": 5, "knee_l": -3, "hip_r": -5,
                              "knee_r": -3},
           {"torso": 6, **_arms(-10, 100, 35, 60), "hip_l": 85, "knee_l": -90, "hip_r": -30, "knee_r": -100}),
    )),
    "bicep_curls": Exercise(period=2.6, variants=(
        _v("dumbbell", {**_arms(6, 8, 6), **_legs(0, -2, 4)}, {**_arms(14, 140, 6), **_legs(0, -2, 4)}),
        _v("hammer", {**_arms(4, 5, 10, 15), **_legs(0, -2, 4)}, {**_arms(10, 130, 10, 15), **_legs(0, -2, 4)}),
        _v("seated", {"torso": 3, **_arms(6, 8, 8), **SEATED}, {"torso": 3, **_arms(14, 140, 8), **SEATED}),
    )),
    "situps": Exercise(period=3.0, variants=(
        _v("full", {"torso": -88, **_arms(160, 20), **_legs(45, -105, 6)},
           {"torso": -25, **_arms(110, 40), **_legs(112, -105, 6)}),
        _v("crunch", {"torso": -88, **_arms(150, 120, 30, 40), **_legs(50, -100, 8)},
           {"torso": -55, **_arms(150, 120, 30, 40), **_legs(82, -100, 8)}),
    )),
    "pushups": Exercise(period=2.8, variants=(
        _v("standard", {"torso": 76, **_arms(76, 0, 8), **_legs(0, 0, 3)},
           {"torso": 86, **_arms(40, 70, 20), **_legs(0, 0, 3)}),
        _v("knees", {"torso": 62, **_arms(62, 0, 8), **_legs(0, -100, 5)},
           {"torso": 80, **_arms(30, 75, 20), **_legs(0, -90, 5)}),
        _v("wide", {"torso": 76, **_arms(72, 0, 28), **_legs(0, 0, 6)},
           {"torso": 86, **_arms(45, 55, 40), **_legs(0, 0, 6)}),
    )),
    "tricep_extensions": Exercise(period=2.6, variants=(
        _v("overhead", {**_arms(165, 5, 5), **_legs(0, -2, 4)}, {**_arms(160, 140, 5), **_legs(0, -2, 4)}),
        _v("seated_overhead", {"torso": 2, **_arms(165, 5, 8), **SEATED},
           {"torso": 2, **_arms(158, 135, 8), **SEATED}),
    )),
    "dumbbell_rows": Exercise(period=2.6, variants=(
        _v("one_arm_bench", {"torso": 68, "shoulder_l": 55, "elbow_l": 20, "shoulder_r": 68, "elbow_r": 5,
                             **_legs(72, -20, 5)},
           {"torso": 68, "shoulder_l": 55, "elbow_l": 20, "shoulder_r": 5, "elbow_r": 95, **_legs(72, -20, 5)}),
        _v("bent_over", {"torso": 55, **_arms(55, 5, 6), **_legs(40, -35, 8)},
           {"torso": 55, **_arms(0, 100, 10), **_legs(40, -35, 8)}),
    )),
    "jumping_jacks": Exercise(period=1.6, variants=(
        _v("jump", {**_arms(0, 5, 8), **_legs(0, 0, 3)}, {**_arms(0, 10, 168), **_legs(0, 0, 22), "lift": 0.05}),
        _v("step", {**_arms(0, 5, 8), **_legs(0, 0, 3)}, {**_arms(0, 15, 160), **_legs(0, 0, 16)}),
    )),
    "dumbbell_shoulder_press": Exercise(period=2.8, variants=(
        _v("standing", {**_arms(10, 92, 85, 90), **_legs(0, 0, 4)}, {**_arms(5, 15, 165, 90), **_legs(0, 0, 4)}),
        _v("seated", {"torso": -5, **_arms(10, 92, 85, 90), **SEATED},
           {"torso": -5, **_arms(5, 15, 165, 90), **SEATED}),
        _v("neutral_grip", {**_arms(75, 100, 20, 0), **_legs(0, 0, 4)}, {**_arms(165, 15, 15, 0), **_legs(0, 0, 4)}),
    )),
    "lateral_shoulder_raises": Exercise(period=2.6, variants=(
        _v("standing", {**_arms(0, 10, 8), **_legs(0, 0, 4)}, {**_arms(0, 12, 88), **_legs(0, 0, 4)}),
        _v("bent_arm", {**_arms(5, 40, 8, 0), **_legs(0, 0, 4)}, {**_arms(5, 40, 85, 0), **_legs(0, 0, 4)}),
        _v("seated", {**_arms(0, 10, 8), **SEATED}, {**_arms(0, 12, 85), **SEATED}),
    )),
}


def walk_cycle(phase: np.ndarray) -> np.ndarray:
    """Poses [len(phase), len(POSE_KEYS)] of a walking gait at ``phase`` (in cycles, any real number)."""
    swing = np.sin(2 * np.pi * phase)
    lift = np.cos(2 * np.pi * phase)
    out = np.repeat(STAND[None], len(phase), axis=0)
    for side, sign in (("r", 1.0), ("l", -1.0)):
        out[:, KEY[f"hip_{side}"]] = sign * 24 * swing
        out[:, KEY[f"knee_{side}"]] = -4 - np.clip(-sign * 35 * lift, 0, None)
        out[:, KEY[f"shoulder_{side}"]] = -sign * 18 * swing
        out[:, KEY[f"elbow_{side}"]] = 15
    return out
