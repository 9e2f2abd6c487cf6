"""A workout as per-frame poses and labels; the execution-speed shift is made here.

A recording is: stand → for each set (transition in, reps, transition out, rest by standing or
walking) → stand. Reps take ``period / tempo`` seconds each, jittered by ``tempo_jitter``, with a range
of motion drawn from ``rom`` and a down/up asymmetry up to ``skew`` (all from the domain's params).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mcat.config import DomainParams, SynthParams
from mcat.synth.body import KEY
from mcat.synth.exercises import EXERCISES, STAND, Variant, walk_cycle

WALK_SPEED = 0.45  # body heights per second
WALK_CADENCE = 0.9  # gait cycles per second

@dataclass(frozen=True)
class SetSpan:
    """One set's frames ``[start, stop)`` (transitions and rest after it included) and what was done."""

    start: int
    stop: int
    exercise: str
    variant: str


@dataclass
class Motion:
    """Per-frame motion of one recording: ``poses`` [N, len(POSE_KEYS)] float32, ``heading`` [N] float32
    (degrees the subject faces, about the vertical), ``position`` [N, 2] float32 (x, z on the ground, body
    heights), ``labels`` [N] int16, the sets' spans and ``rep_seconds`` (every rep's duration)."""

    poses: np.ndarray
    heading: np.ndarray
    position: np.ndarray
    labels: np.ndarray
    sets: list[SetSpan] = field(default_factory=list)
    rep_seconds: list[float] = field(default_factory=list)

class _Timeline:
    def __init__(self, fps: float, heading: float):
        self.fps = fps
        self.pose = STAND.copy()
        self.heading = heading
        self.position = np.zeros(2, np.float32)
        self.chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.frames = 0
        self.sets: list[SetSpan] = []
        self.rep_seconds: list[float] = []

    def _frames(self, seconds: float) -> int:
        return max(1, int(round(seconds * self.fps)))

    def _append(self, poses: np.ndarray, label: int, heading: np.ndarray | None = None,
                position: np.ndarray | None = None) -> None:
        n = len(poses)
        heading = np.full(n, self.heading) if heading is None else heading
        position = np.repeat(self.position[None], n, axis=0) if position is None else position
        self.chunks.append((poses.astype(np.float32), heading.astype(np.float32), position.astype(np.float32),
                            np.full(n, label, np.int16)))
        self.pose, self.heading, self.position = poses[-1].copy(), float(heading[-1]), position[-1].copy()
        self.frames += n

    def hold(self, seconds: float, rng: np.random.Generator) -> None:
        """Stand still with a little sway."""
        n = self._frames(seconds)
        t = np.arange(n) / self.fps
        sway = 2.5 * np.sin(2 * np.pi * (rng.uniform(0.2, 0.5) * t + rng.random()))
        poses = np.repeat(self.pose[None], n, axis=0)
        poses[:, KEY["torso"]] += sway
        for name in ("shoulder_l", "shoulder_r"):
            poses[:, KEY[name]] += 0.8 * sway
        self._append(poses, 0)

    def transition(self, target: np.ndarray, seconds: float, turn: float = 0.0) -> None:
        """Move smoothly to ``target`` while turning by ``turn`` degrees."""
        n = self._frames(seconds)
        u = (np.arange(1, n + 1) / n)[:, None]
        smooth = u * u * (3 - 2 * u)
        poses = self.pose[None] + smooth * (target - self.pose)[None]
        self._append(poses, 0, heading=self.heading + turn * smooth[:, 0])

    def walk(self, seconds: float, rng: np.random.Generator) -> None:
        """Walk away along the heading and back, turning half-way."""
        n = self._frames(seconds)
        t = np.arange(n) / self.fps
        half = seconds / 2
        outward = np.where(t < half, t, 2 * half - t) * WALK_SPEED
        rad = np.deg2rad(self.heading)
        poses = walk_cycle(WALK_CADENCE * t + rng.random())
        position = self.position[None] + outward[:, None] * np.array([np.sin(rad), np.cos(rad)])[None]
        heading = np.where(t < half, self.heading, self.heading + 180.0)
        self._append(poses, 0, heading=heading, position=position)
        self.transition(STAND.copy(), 0.3, turn=180.0)  # turn to face the original way again

    def reps(self, variant: Variant, period: float, label: int, count: int, domain: DomainParams,
             rng: np.random.Generator) -> None:
        """``count`` reps of ``variant`` (``period`` seconds each when slow) at the domain's tempo; frames
        labelled ``label``."""
        mean = period / domain.tempo
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
        poses = variant.rest[None] + excursion * (variant.peak - variant.rest)[None]
        self._append(poses, label)
        self.rep_seconds.extend(float(d) for d in durations)

    def motion(self) -> Motion:
        poses, heading, position, labels = (np.concatenate(parts) for parts in zip(*self.chunks))
        return Motion(poses, heading, position, labels, self.sets, self.rep_seconds)


def workout(sets: list[tuple[str, int]], domain: DomainParams, params: SynthParams,
            rng: np.random.Generator) -> Motion:
    """The motion of one recording doing ``sets`` — (exercise name, class id) — in order."""
    timeline = _Timeline(params.fps, heading=float(rng.uniform(-180, 180)))
    timeline.hold(rng.uniform(0.5, 1.0), rng)
    for name, label in sets:
        start = timeline.frames
        switch = params.transition_seconds * rng.uniform(0.8, 1.2) / domain.tempo
        ex = EXERCISES[name]
        variant = ex.variants[int(rng.integers(len(ex.variants)))]
        timeline.transition(variant.rest, switch)
        count = int(rng.integers(params.reps_per_set[0], params.reps_per_set[1] + 1))
        timeline.reps(variant, ex.period, label, count, domain, rng)
        timeline.transition(STAND.copy(), switch)
        rest = rng.uniform(*params.rest_seconds)
        if rest > 0:
            if rng.random() < 0.5:
                timeline.walk(rest, rng)
            else:
                timeline.hold(rest, rng)
        timeline.sets.append(SetSpan(start, timeline.frames, name, variant.name))
    timeline.hold(0.5, rng)
    return timeline.motion()
