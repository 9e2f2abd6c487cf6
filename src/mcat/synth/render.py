"""Film a recording: place the 3-D body in the world, aim each shot's camera, rasterise the projected body
back to front into a part-id image (whose non-zero pixels are the exact person mask) and compose the video
frame around it."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mcat.config import SynthParams
from mcat.pose.joints import JOINTS as POSE_JOINTS
from mcat.synth.body import KEY, N_MATERIALS, Proportions, body_parts, joints, on_the_ground
from mcat.synth.camera import Shot, View, frame_shape, plan_shots, to_world
from mcat.synth.keypoints import keypoints
from mcat.synth.motion import Motion
from mcat.synth.scene import Distractor, Layer, Lighting, ProgressBar, caption, clothing, logo, occluder, place

_SHIFT = 4  # OpenCV sub-pixel coordinates: 4 fractional bits
_ONE = 1 << _SHIFT
_LIMIT = 1 << 14  # pixels: farther points are clipped before the fixed-point conversion
#: Each part is drawn three times, narrower and brighter: a cylinder's shading (edge, body, highlight).
SHADE_WIDTHS = (1.0, 0.62, 0.3)
SHADE_GAINS = np.array([0.6, 0.85, 1.05], np.float32)


def part_id(material: int, shade: int) -> int:
    """The value a material drawn at shade level ``shade`` takes in the part-id image (0 is background)."""
    return 1 + material * len(SHADE_WIDTHS) + shade


@dataclass(frozen=True)
class Take:
    """One shot as filmed: its camera, its place, and what stands between the camera and the subject."""

    shot: Shot
    view: View
    place: str
    background: np.ndarray  # [h, w, 3] float32
    occluder: Layer | None


@dataclass(frozen=True)
class Film:
    """Everything needed to draw one recording's frames: the body's parts as projected in every frame (ends
    in fixed-point pixels [N, P, 4], widths in pixels [N, P], drawing order far to near [N, P]) and their
    part-id values [P][shade], the takes, and the recording-wide look (clothing, overlays, lighting); and the
    exact keypoints of :data:`mcat.pose.joints.JOINTS` where a pose model puts them (:mod:`mcat.synth.keypoints`)
    as projected, in pixels float32 [N, K, 2]."""

    orientation: str
    width: int
    height: int
    fps: float
    joints: np.ndarray
    ends: np.ndarray
    widths: np.ndarray
    order: np.ndarray
    values: list[list[int]]
    takes: tuple[Take, ...]
    take_of_frame: np.ndarray  # [N] index into takes
    colours: np.ndarray  # [1 + N_MATERIALS * shades, 3] float32, row 0 unused
    textured: np.ndarray  # [1 + N_MATERIALS * shades] bool
    texture: np.ndarray  # [h * w] float32
    distractors: tuple[Distractor, ...]
    overlays: tuple[Layer, ...]
    progress: ProgressBar | None
    lighting: Lighting

    @staticmethod
    def shoot(motion: Motion, params: SynthParams, rng: np.random.Generator) -> "Film":
        orientation, w, h = frame_shape(params.camera, params.width, params.height, rng)
        n = len(motion.labels)
        body = Proportions.sample(rng)
        local = on_the_ground(joints(motion.poses, body), body, motion.poses[:, KEY["lift"]].astype(np.float64))
        world = to_world(local, motion.heading.astype(np.float64), motion.position.astype(np.float64))
        shots = plan_shots(params.camera, [s.start for s in motion.sets], n, rng)
        pixels, depth, scale = np.empty((n, world.shape[1], 2)), np.empty(world.shape[:2]), np.empty(world.shape[:2])
        marks = np.empty((n, len(POSE_JOINTS), 2))  # the keypoints, where a pose model puts them
        take_of_frame = np.empty(n, np.int32)
        takes = []
        for k, shot in enumerate(shots):
            span = slice(shot.start, shot.stop)
            view = View.aim(shot, world[span], float(motion.heading[shot.start]), w, h, params.fps)
            pixels[span], depth[span], scale[span] = view.project(world[span], np.arange(shot.start, shot.stop))
            marks[span] = view.project(keypoints(world[span]), np.arange(shot.start, shot.stop))[0]
            take_of_frame[span] = k
            ground = world[span].reshape(-1, 3).mean(axis=0) * [1, 0, 1]
            seam = view.ground_row(ground) - rng.uniform(0.05, 0.25) * h
            kind = params.places[int(rng.integers(len(params.places)))]
            takes.append(Take(shot, view, kind, place(rng, h, w, int(seam), kind),
                              occluder(rng, h, w) if rng.random() < params.occluders else None))
        parts = body_parts(body)
        a, b = [p.a for p in parts], [p.b for p in parts]
        fixed = np.round(np.clip(pixels, -_LIMIT, _LIMIT) * _ONE).astype(np.int64)
        radius = np.array([p.radius for p in parts])
        lut, textured, texture = clothing(rng, h, w)
        shades = len(SHADE_WIDTHS)
        colours = np.zeros((1 + N_MATERIALS * shades, 3), np.float32)
        colours[1:] = (lut[:, None, :] * SHADE_GAINS[None, :, None]).reshape(-1, 3)
        overlays = tuple(make(rng, h, w) for make in (caption, logo) if rng.random() < params.overlays)
        progress = (ProgressBar(tuple(rng.uniform(0, 255, size=3)), max(2, h // 40))
                    if rng.random() < params.overlays else None)
        return Film(
            orientation=orientation, width=w, height=h, fps=params.fps,
            joints=marks.astype(np.float32),
            ends=np.concatenate([fixed[:, a], fixed[:, b]], axis=-1), widths=radius * (scale[:, a] + scale[:, b]),
            order=np.argsort(-(depth[:, a] + depth[:, b]), axis=1, kind="stable"),
            values=[[part_id(p.material, shade) for shade in range(len(SHADE_WIDTHS))] for p in parts],
            takes=tuple(takes), take_of_frame=take_of_frame, colours=colours,
            textured=np.concatenate([[False], np.repeat(textured, shades)]), texture=texture,
            distractors=tuple(Distractor.sample(rng, h, w) for _ in range(params.distractors)),
            overlays=overlays, progress=progress,
            lighting=Lighting.sample(rng, h, w, params.lighting_drift, params.noise_std, params.motion_blur))

    def person(self, i: int) -> np.ndarray:
        """Part-id image uint8 [h, w] of frame ``i``: 0 background, else :func:`part_id` of the part on top."""
        ids = np.zeros((self.height, self.width), np.uint8)
        ends = self.ends[i].tolist()
        widths = self.widths[i].tolist()
        for k in self.order[i].tolist():
            a, b = tuple(ends[k][:2]), tuple(ends[k][2:])
            for shade, share in enumerate(SHADE_WIDTHS):
                thickness = int(round(widths[k] * share))
                if thickness < 1 and shade:
                    break
                value = self.values[k][shade]
                if a == b:
                    cv2.circle(ids, a, max(1, thickness) * _ONE // 2, value, thickness=-1, shift=_SHIFT)
                else:
                    cv2.line(ids, a, b, value, thickness=max(1, thickness), lineType=cv2.LINE_8, shift=_SHIFT)
        return ids

    def frame(self, i: int, ids: np.ndarray, rng: np.random.Generator,
              previous: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Frame ``i`` uint8 [h, w, 3] (BGR) around part-id image ``ids``, and the visible person mask uint8
        {0,1} [h, w] (what occluders and overlays leave of ``ids``). ``previous`` carries motion blur."""
        take = self.takes[self.take_of_frame[i]]
        t = i / self.fps
        img = take.background.copy()
        for distractor in self.distractors:
            distractor.draw(img, t)
        person = np.flatnonzero(ids)
        values = ids.ravel()[person]
        colour = self.colours[values]
        textured = self.textured[values]
        colour[textured] *= self.texture[person[textured], None]
        img.reshape(-1, 3)[person] = colour
        mask = (ids > 0).astype(np.uint8)
        for layer in ((take.occluder,) if take.occluder else ()) + self.overlays:
            layer.apply(img, mask)
        if self.progress:
            self.progress.apply(img, mask, (i + 1) / len(self.take_of_frame))
        return self.lighting.apply(img, t, rng, previous), mask

    def pose(self, masks: np.ndarray) -> np.ndarray:
        """The exact keypoints float32 [N, K, 3] (layout of :mod:`mcat.pose.joints`) given the visible person masks
        uint8 [N, h, w]: a joint is visible where it is in the frame and the person is seen there."""
        size = np.array([self.width, self.height], np.float32)
        pixel = np.floor(self.joints).astype(np.int64)
        inside = ((pixel >= 0) & (pixel < size.astype(np.int64))).all(axis=-1)
        frame = np.arange(len(masks))[:, None]
        seen = masks[frame, pixel[..., 1].clip(0, self.height - 1), pixel[..., 0].clip(0, self.width - 1)] > 0
        visible = (inside & seen)[..., None]
        return np.where(visible, np.concatenate([self.joints / size, np.ones_like(self.joints[..., :1])], axis=-1),
                        np.float32(0)).astype(np.float32)

    def set_rows(self, motion: Motion) -> list[dict]:
        """One row per set: the exercise and variant, and every choice of camera and look made for it."""
        rows = []
        for k, span in enumerate(motion.sets):
            take = self.takes[self.take_of_frame[span.start]]
            shot = take.shot
            rows.append({
                "set": k, "exercise": span.exercise, "variant": span.variant, "start": span.start, "stop": span.stop,
                "shot": int(self.take_of_frame[span.start]), "azimuth": round(shot.azimuth, 2),
                "elevation": round(shot.elevation, 2), "roll": round(shot.roll, 2),
                "distance": round(shot.distance, 3), "person_height": round(shot.person_height, 3),
                "framing": shot.framing, "orientation": self.orientation, "width": self.width, "height": self.height,
                "place": take.place, "occluder": int(take.occluder is not None),
                "overlays": len(self.overlays) + int(self.progress is not None),
                "softness": round(self.lighting.softness, 3), "blur": round(self.lighting.blur, 3)})
        return rows
