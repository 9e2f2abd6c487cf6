"""A workout as per-frame poses and labels; the execution-speed shift is made here.

A recording is: stand → for each set (transition in, reps, transition out, rest by standing or
walking) → stand. Reps take ``period / tempo`` seconds each, jittered by ``tempo_jitter``, with a range
of motion drawn from ``rom`` and a down/up asymmetry up to ``skew`` (all from the domain's params).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mcat.config import DomainParams, SynthParams
from mcat.synth.body import KEY, SIDE
from mcat.synth.exercises import EXERCISES, STAND, walk_cycle

WALK_SPEED = 0.45  # body heights per second
WALK_CADENCE = 0.9  # gait cycles per second

@dataclass
class Motion:
    """Per-frame motion of one recording: ``poses`` [N, len(POSE_KEYS)] float32, ``views`` [N] int8,
    ``facing`` [N] float32 (±1), ``labels`` [N] int16, and ``rep_seconds`` (every rep's duration)."""

    poses: np.ndarray
    views: np.ndarray
    facing: np.ndarray
    labels: np.ndarray
    rep_seconds: list[float] = field(default_factory=list)

class _Timeline:
    def __init__(self, fps: float, facing: float):
        self.fps = fps
        self.facing = facing
        self.pose = STAND.copy()
        self.view = SIDE
        self.chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.rep_seconds: list[float] = []

    def _frames(self, seconds: float) -> int:
        return max(1, int(round(seconds * self.fps)))

    def _append(self, poses: np.ndarray, views: np.ndarray, facing: np.ndarray, label: int) -> None:
        self.chunks.append((poses.astype(np.float32), views.astype(np.int8), facing.astype(np.float32),
                            np.full(len(poses), label, np.int16)))
        self.pose, self.view, self.facing = poses[-1].copy(), int(views[-1]), float(facing[-1])

    def hold(self, seconds: float, rng: np.random.Generator) -> None:
        """Stand still with a little sway."""
        n = self._frames(seconds)
        t = np.arange(n) / self.fps
        sway = 2.5 * np.sin(2 * np.pi * (rng.uniform(0.2, 0.5) * t + rng.random()))
        poses = np.repeat(self.pose[None], n, axis=0)
        poses[:, KEY["torso"]] += sway * (self.view == SIDE)
        for name in ("shoulder_l", "shoulder_r"):
            poses[:, KEY[name]] += 0.8 * sway
        self._append(poses, np.full(n, self.view), np.full(n, self.facing), 0)

    def transition(self, target: np.ndarray, view: int, seconds: float) -> None:
        """Move smoothly to ``target``; the camera view switches half-way (the subject turns)."""
        n = self._frames(seconds)
        u = (np.arange(1, n + 1) / n)[:, None]
        smooth = u * u * (3 - 2 * u)
        poses = self.pose[None] + smooth * (target - self.pose)[None]
        views = np.where(np.arange(n) < n // 2, self.view, view)
        self._append(poses, views, np.full(n, self.facing), 0)

    def walk(self, seconds: float, rng: np.random.Generator) -> None:
        """Walk away and back along x (side view), turning half-way."""
        n = self._frames(seconds)
        t = np.arange(n) / self.fps
        half = seconds / 2
        start_x = self.pose[KEY["x"]]
        outward = np.where(t < half, t, 2 * half - t)
        poses = walk_cycle(WALK_CADENCE * t + rng.random())
        poses[:, KEY["x"]] = start_x + self.facing * WALK_SPEED * outward
        facing = np.where(t < half, self.facing, -self.facing)
        self._append(poses, np.full(n, SIDE), facing, 0)
        self.facing = -self.facing  # turned back; face the original way again while standing
        self.transition(self.pose.copy(), SIDE, 0.2)

    def reps(self, name: str, label: int, count: int, domain: DomainParams, rng: np.random.Generator) -> None:
        """``count`` reps of exercise ``name`` at the domain's tempo; frames labelled ``label``."""
        ex = EXERCISES[name]
        mean = ex.period / domain.tempo
        durations = mean * np.clip(1 + domain.tempo_jitter * rng.standard_normal(count), 0.4, None)
        roms = rng.uniform(*domain.rom, size=count)
        skews = rng.uniform(-domain.skew, domain.skew, size=count)
        bounds = np.concatenate([[0.0], np.cumsum(durations)])
        n = self._frames(bounds[-1])
        t = np.arange(n) / self.fps
        rep = np.clip(np.searchsorted(bounds, t, side="right") - 1, 0, count - 1)
        phase = np.clip((t - bounds[rep]) / durations[rep], 0, 1)
        down = 0.5 + skews[rep]
        warped = np.where(phase < down, 0.5 * phase / down, 0.5 + 0.5 * (phase - down) / (1 - down))
        excursion = (roms[rep] * (1 - np.cos(2 * np.pi * warped)) / 2)[:, None]
        base = ex.rest.copy()
        base[KEY["x"]] = self.pose[KEY["x"]]
        poses = base[None] + excursion * (ex.peak - ex.rest)[None]
        self._append(poses, np.full(n, ex.view), np.full(n, self.facing), label)
        self.rep_seconds.extend(float(d) for d in durations)

    def motion(self) -> Motion:
        poses, views, facing, labels = (np.concatenate(parts) for parts in zip(*self.chunks))
        return Motion(poses, views, facing, labels, self.rep_seconds)

def workout(sets: list[tuple[str, int]], domain: DomainParams, params: SynthParams,
            rng: np.random.Generator) -> Motion:
    """The motion of one recording doing ``sets`` — (exercise name, class id) — in order."""
    timeline = _Timeline(params.fps, facing=float(rng.choice([-1.0, 1.0])))
    timeline.hold(rng.uniform(0.5, 1.0), rng)
    for name, label in sets:
        ex = EXERCISES[name]
        switch = params.transition_seconds * rng.uniform(0.8, 1.2) / domain.tempo
        start = ex.rest.copy()
        start[KEY["x"]] = timeline.pose[KEY["x"]]
        timeline.transition(start, ex.view, switch)
        timeline.reps(name, label, int(rng.integers(params.reps_per_set[0], params.reps_per_set[1] + 1)), domain, rng)
        back = STAND.copy()
        back[KEY["x"]] = timeline.pose[KEY["x"]]
        timeline.transition(back, SIDE, switch)
        rest = rng.uniform(*params.rest_seconds)
        if rest > 0:
            if rng.random() < 0.5:
                timeline.walk(rest, rng)
            else:
                timeline.hold(rest, rng)
    timeline.hold(0.5, rng)
    return timeline.motion()
