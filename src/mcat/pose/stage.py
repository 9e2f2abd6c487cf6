"""``mcat pose``: keypoints per recording, beside the masks, and their quality table.

Output: a pose store (layout in :mod:`mcat.data.store`): float32 [N, K, 3] per recording, aligned with the frame
store's frames, x and y in ``[0, 1]`` of the model's R×R frame. ``provided`` takes the dataset's own joints (the
renderer's exact ones), put on the store's clock and into its frame; ``blazepose`` and ``yolo`` estimate them on
the source video at its own size, each frame cropped around its person mask (``mcat masks``). Where the dataset
ships joints, the quality table measures an estimator against them. A recording whose stamp matches is skipped
on a rerun; an interrupted run keeps every finished recording.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mcat.atomic import exclusive, write_csv
from mcat.config import PoseParams
from mcat.data.boxes import mask_box
from mcat.data.digest import file_sha256
from mcat.data.framing import Framing
from mcat.data.sources import materialize
from mcat.data.store import MaskStore, PoseStore, Store, backend_recipe, gather_per_recording
from mcat.data.video import check_decoded, probe, read_frames
from mcat.errors import McatError
from mcat.pose.joints import K
from mcat.pose.quality import QUALITY_COLUMNS, pose_quality


@dataclass(frozen=True)
class PoseResult:
    out: Path
    recordings: int
    generated: int
    empty_ratio: float
    missing_joints: float


def make_estimator(params: PoseParams):
    """The estimator of ``params.backend`` (not ``provided``): ``estimate(frame, box) -> [K, 3]``."""
    if params.backend == "blazepose":
        from mcat.pose.blazepose import BlazePose

        return BlazePose(params.blazepose)
    from mcat.pose.yolo import YoloPose

    return YoloPose(params.yolo)


def provided_pose(path: Path, meta: dict, framing: Framing) -> np.ndarray:
    """The dataset's keypoints at ``path`` (float32 [source frames, K, 3] in the source frame) on the store's clock
    and in its R×R frame: float32 [N, K, 3]."""
    try:
        exact = np.load(path)
    except (OSError, ValueError) as exc:
        raise McatError(f"keypoints file {path} cannot be read ({exc}): it must be a .npy array") from None
    expected = (meta["source_frames"], K, 3)
    if exact.dtype != np.float32 or exact.shape != expected:
        raise McatError(f"keypoints file {path} holds {exact.dtype} {list(exact.shape)}, not float32 {list(expected)} "
                        "(one row per video frame, the joints of mcat.pose.joints): fix the dataset")
    rows = exact[framing.positions(meta["source_frames"], meta["source_fps"])[:meta["n_frames"]]]
    return fitted(rows, framing, meta["source_width"], meta["source_height"])


def fitted(points: np.ndarray, framing: Framing, width: int, height: int) -> np.ndarray:
    """Keypoints [..., K, 3] in a ``width``×``height`` picture → in the R×R frame (unseen joints stay 0)."""
    seen = points[..., 2:] > 0
    xy = np.where(seen, framing.fit_points(points[..., :2], width, height), 0)
    return np.concatenate([xy, points[..., 2:]], axis=-1).astype(np.float32)


class CroppedPose:
    """Keypoints of a ``width``×``height`` video's frames as they are decoded, each frame cropped around its person
    mask (the last non-empty mask's box where one is empty): :meth:`add` each batch, then :meth:`joints`. With
    ``every`` = n > 1 the estimator sees every n-th frame only (0, n, 2n, …) and the frames between get keypoints
    interpolated linearly between those two; a joint unseen at either end stays unseen, and frames after the
    last estimated one repeat it."""

    def __init__(self, estimator, framing: Framing, width: int, height: int, every: int = 1):
        self.estimator, self.framing, self.width, self.height, self.every = estimator, framing, width, height, every
        self.box, self.poses = None, []

    def add(self, frames: np.ndarray, masks: np.ndarray) -> None:
        """BGR frames uint8 [B, H, W, 3] and their masks uint8 [B, R, R] in the R×R frame."""
        for frame, mask in zip(frames, masks):
            fitted_box = mask_box(mask)
            if fitted_box is not None:
                self.box = np.clip(self.framing.unfit_points(fitted_box.reshape(2, 2), self.width, self.height).ravel(),
                                   0, 1)
            estimated = len(self.poses) % self.every == 0
            self.poses.append(self.estimator.estimate(frame, self.box) if estimated else None)

    def joints(self) -> np.ndarray:
        """float32 [N, K, 3] of the frames added so far, in the R×R frame."""
        return fitted(interpolated(self.poses, self.every), self.framing, self.width, self.height)


def interpolated(poses: list[np.ndarray | None], every: int) -> np.ndarray:
    """Keypoints [N, K, 3] from those of frames 0, ``every``, 2·``every``, … (the others None): linear in x, y and
    visibility between the two estimated frames around each frame, unseen (0, 0, 0) where either end is unseen;
    frames after the last estimated one repeat it."""
    known = np.stack(poses[::every])  # [M, K, 3]
    if every == 1:
        return known
    n = len(poses)
    left = np.arange(n) // every  # index into known
    right = np.minimum(left + 1, len(known) - 1)
    w = ((np.arange(n) % every) / every)[:, None, None].astype(np.float32)
    w = np.where((left == right)[:, None, None], 0, w)
    a, b = known[left], known[right]
    seen = (a[..., 2:] > 0) & (b[..., 2:] > 0)
    return np.where(seen | (w == 0), (1 - w) * a + w * b, 0).astype(np.float32)


def estimate_video(estimator, video: Path, framing: Framing, masks: np.ndarray, width: int, height: int) -> np.ndarray:
    """Keypoints float32 [N, K, 3] of a ``width``×``height`` video's first N clock frames (N = len(masks)), in the
    R×R frame, each frame cropped around its person mask uint8 [N, R, R] (:class:`CroppedPose`)."""
    pose = CroppedPose(estimator, framing, width, height)
    for frame, mask in zip(read_frames(video, len(masks), framing.step(probe(video).checked_fps(video))), masks):
        pose.add(frame[None], mask[None])
    check_decoded(video, len(pose.poses), len(masks), "ingested (the file changed since `mcat ingest`: run it again)")
    return pose.joints()


def estimate_pose(params: PoseParams, store_dir: Path, masks_dir: Path, out: Path, *, source: str,
                  cache: Path | None = None, recordings: list[str] | None = None) -> PoseResult:
    """Write keypoints for every recording of the store at ``store_dir`` (or only ``recordings``) into ``out``;
    the estimators read the videos of the dataset at ``source`` (``ingest.source``) and crop around the masks
    at ``masks_dir``."""
    with exclusive(out, "mcat pose"):
        store, masks, poses = Store(store_dir), MaskStore(masks_dir), PoseStore(out)
        selected = store.chosen(recordings)
        provided = params.backend == "provided"
        estimator = None if provided else make_estimator(params)  # a bad model file: refused before any write
        Path(out).mkdir(parents=True, exist_ok=True)
        root, rows, generated = None, [], 0
        for rec in tqdm(selected, desc=f"pose ({params.backend})", unit="rec", disable=None):
            rid, meta, framing = rec.recording_id, store.meta(rec.recording_id), store.framing(rec.recording_id)
            stamp = {**backend_recipe(params), "ingest_meta_sha256": file_sha256(store.meta_path(rid))}
            if not provided:
                stamp["masks_stamp_sha256"] = file_sha256(masks.stamp_path(rid))
            current = poses.is_current(rid, stamp, np.float32, (rec.n_frames, K, 3))
            exact = None  # the dataset's joints: what `provided` copies, and what an estimator is judged against
            if "pose" in meta["files"] and not (provided and current):
                # `provided` needs no video: they stay placeholders in the mirror of an s3:// source
                root = root or materialize(source, cache, media=(lambda rel: False) if provided else None)
                exact = provided_pose(root / meta["files"]["pose"], meta, framing)
            if current:
                pose = poses.pose(rid, rec.n_frames, K)
            else:
                if provided:
                    if exact is None:
                        raise McatError(f"recording {rid} has no provided keypoints: the dataset ships none for it "
                                        "(a `pose` column in its manifest); set pose.backend=blazepose or yolo")
                    pose = exact
                else:
                    root = root or materialize(source, cache)
                    frames_shape = (rec.n_frames, framing.resolution, framing.resolution)
                    pose = estimate_video(estimator, root / meta["files"]["video"], framing,
                                          masks.masks(rid, frames_shape), meta["source_width"], meta["source_height"])
                poses.write(rid, pose, stamp)
                generated += 1
            judged = None if provided else exact
            rows.append({"recording_id": rid, **pose_quality(pose, params.min_visibility, judged)})
        write_csv(poses.quality_path, QUALITY_COLUMNS, ([row[c] for c in QUALITY_COLUMNS] for row in rows))
        return _result(Path(out), rows, generated)


def _result(out: Path, rows: list[dict], generated: int) -> PoseResult:
    frames = sum(float(r["frames"]) for r in rows)
    share = {c: sum(float(r[c]) * float(r["frames"]) for r in rows) / frames for c in ("empty_ratio", "missing_joints")}
    return PoseResult(out, len(rows), generated, share["empty_ratio"], share["missing_joints"])


def gather_pose(parts: list[Path], out: Path) -> PoseResult:
    """One pose folder from the shards' folders (as :func:`mcat.masks.stage.gather_masks`)."""
    return _result(Path(out), gather_per_recording(parts, out, QUALITY_COLUMNS), 0)
