"""``mcat masks``: one person-mask array per recording, quality statistics and overlays.

Output: a mask store (layout in :mod:`mcat.data.store`); a recording whose stamp (what its masks were made
from) matches the inputs and params is skipped on a rerun.

``provided`` takes the masks the dataset ships (ingested with the frames); the other backends segment the
source videos at their own resolution, in batches, in frame order. An interrupted run keeps every finished
recording and continues with the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mcat.atomic import exclusive, write_csv
from mcat.config import MasksParams
from mcat.data.sources import materialize
from mcat.data.digest import file_sha256
from mcat.data.store import MaskStore, Store, backend_recipe, gather_per_recording
from mcat.errors import McatError
from mcat.masks.backends import make_segmenter
from mcat.masks.overlay import overlay_png
from mcat.masks.quality import QUALITY_COLUMNS, mask_quality
from mcat.masks.segment import segment_video


@dataclass(frozen=True)
class MasksResult:
    out: Path
    recordings: int
    generated: int
    coverage_mean: float
    empty_ratio: float


def generate_masks(params: MasksParams, store_dir: Path, out: Path, *, source: str, cache: Path | None = None,
                   recordings: list[str] | None = None) -> MasksResult:
    """Write masks for every recording of the store at ``store_dir`` (or only ``recordings``, one shard of a
    fanned-out run: see :func:`shard_recordings`, :func:`gather_masks`) into ``out``; the segmenters read the
    videos of the dataset at ``source`` (``ingest.source``: a path or ``s3://``, mirrored into ``cache``)."""
    with exclusive(out, "mcat masks"):
        store, out = Store(store_dir), Path(out)
        selected = store.chosen(recordings)
        out.mkdir(parents=True, exist_ok=True)
        masks_out = MaskStore(out)
        segmenter, root = None, None
        rows, generated = [], 0
        for rec in tqdm(selected, desc=f"masks ({params.backend})", unit="rec", disable=None):
            rid = rec.recording_id
            stamp = {**backend_recipe(params), "ingest_meta_sha256": file_sha256(store.meta_path(rid))}
            provided, frames = store.provided_masks(rid), store.frames(rid)
            if masks_out.is_current(rid, stamp, np.uint8, frames.shape):
                masks = masks_out.masks(rid, frames.shape)
            else:
                if params.backend == "provided":
                    if provided is None:
                        raise McatError(f"recording {rid} has no provided masks: the dataset ships none for it; "
                                        "choose another masks.backend (selfie, background, yolo)")
                    masks = np.asarray(provided)
                else:
                    segmenter = segmenter or make_segmenter(params)
                    root = root or materialize(source, cache)
                    video = root / store.meta(rid)["files"]["video"]
                    _, masks = segment_video(segmenter, video, store.framing(rid), params.batch_size, n_frames=rec.n_frames,
                                             expected_from="ingested (the file changed since `mcat ingest`: run it again)")
                masks_out.write(rid, masks, stamp)
                generated += 1
            if params.overlay_frames:
                overlay_png(frames, masks, params.overlay_frames, masks_out.overlay_path(rid))
            rows.append({"recording_id": rid, **mask_quality(masks, provided)})
        write_csv(masks_out.quality_path, QUALITY_COLUMNS, ([row[c] for c in QUALITY_COLUMNS] for row in rows))
        return _result(out, rows, generated)


def _result(out: Path, rows: list[dict], generated: int) -> MasksResult:
    frames = sum(float(r["frames"]) for r in rows)
    coverage = sum(float(r["coverage_mean"]) * float(r["frames"]) for r in rows) / frames
    empty = sum(float(r["empty_ratio"]) * float(r["frames"]) for r in rows) / frames
    return MasksResult(out, len(rows), generated, coverage, empty)


def shard_recordings(store_dir: Path, shards: int) -> list[list[str]]:
    """The store's recording ids dealt round-robin into at most ``shards`` non-empty shards."""
    ids = [r.recording_id for r in Store(store_dir).recordings]
    return [ids[i::shards] for i in range(min(shards, len(ids)))]


def gather_masks(parts: list[Path], out: Path) -> MasksResult:
    """One masks folder from the shards' folders: their per-recording files side by side and one quality.csv
    (rows in recording order)."""
    return _result(Path(out), gather_per_recording(parts, out, QUALITY_COLUMNS), 0)
