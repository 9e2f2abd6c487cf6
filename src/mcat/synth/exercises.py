"""Exercises as joint-angle trajectories: a rest pose, a peak pose and a base (slow) rep period.

One rep moves rest → peak → rest along ``s(ψ) = (1 - cos 2πψ) / 2``; range of motion scales the
excursion and the domain's tempo divides the period (see :mod:`mcat.synth.motion`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcat.synth.body import FRONT, KEY, SIDE, pose


@dataclass(frozen=True)
class Exercise:
    """One exercise: poses [len(POSE_KEYS)] in degrees / body heights, the camera view, seconds per slow rep."""

    rest: np.ndarray
    peak: np.ndarray
    view: int
    period: float


def _both_arms(shoulder: float, elbow: float) -> dict:
    return {"shoulder_l": shoulder, "shoulder_r": shoulder, "elbow_l": elbow, "elbow_r": elbow}


def _both_legs(hip: float, knee: float) -> dict:
    return {"hip_l": hip, "hip_r": hip, "knee_l": knee, "knee_r": knee}


STAND = pose(**_both_arms(6, 8), **_both_legs(0, -2))

EXERCISES: dict[str, Exercise] = {
    "squats": Exercise(
        rest=pose(torso=4, **_both_arms(20, 10), **_both_legs(2, -4)),
        peak=pose(torso=38, **_both_arms(85, 5), **_both_legs(105, -115)),
        view=SIDE, period=3.0),
    "lunges": Exercise(
        rest=pose(torso=2, **_both_arms(8, 10), hip_r=5, knee_r=-3, hip_l=-5, knee_l=-3),
        peak=pose(torso=4, **_both_arms(8, 15), hip_r=80, knee_r=-88, hip_l=-35, knee_l=-95),
        view=SIDE, period=3.2),
    "bicep_curls": Exercise(
        rest=pose(**_both_arms(6, 8), **_both_legs(0, -2)),
        peak=pose(**_both_arms(14, 140), **_both_legs(0, -2)),
        view=SIDE, period=2.6),
    "situps": Exercise(
        rest=pose(torso=-88, **_both_arms(160, 20), **_both_legs(45, -105)),
        peak=pose(torso=-25, **_both_arms(110, 40), **_both_legs(112, -105)),
        view=SIDE, period=3.0),
    "pushups": Exercise(
        rest=pose(torso=76, **_both_arms(76, 0), **_both_legs(0, 0)),
        peak=pose(torso=86, **_both_arms(40, 70), **_both_legs(0, 0)),
        view=SIDE, period=2.8),
    "tricep_extensions": Exercise(
        rest=pose(**_both_arms(165, 5), **_both_legs(0, -2)),
        peak=pose(**_both_arms(160, 140), **_both_legs(0, -2)),
        view=SIDE, period=2.6),
    "dumbbell_rows": Exercise(
        rest=pose(torso=68, shoulder_l=55, elbow_l=20, shoulder_r=68, elbow_r=5, **_both_legs(72, -20)),
        peak=pose(torso=68, shoulder_l=55, elbow_l=20, shoulder_r=5, elbow_r=95, **_both_legs(72, -20)),
        view=SIDE, period=2.6),
    "jumping_jacks": Exercise(
        rest=pose(**_both_arms(8, 5), **_both_legs(3, 0)),
        peak=pose(**_both_arms(168, 10), **_both_legs(22, 0), lift=0.05),
        view=FRONT, period=1.6),
    "dumbbell_shoulder_press": Exercise(
        rest=pose(**_both_arms(92, 92), **_both_legs(4, 0)),
        peak=pose(**_both_arms(165, 15), **_both_legs(4, 0)),
        view=FRONT, period=2.8),
    "lateral_shoulder_raises": Exercise(
        rest=pose(**_both_arms(8, 10), **_both_legs(4, 0)),
        peak=pose(**_both_arms(88, 12), **_both_legs(4, 0)),
        view=FRONT, period=2.6),
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
