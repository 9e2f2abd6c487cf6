"""``mcat ingest``: a dataset (framewise or MM-Fit, local or S3) → the frame store.

The store's layout is :mod:`mcat.data.store`'s. A recording whose sources and params are unchanged (and whose
arrays are intact) is skipped. The recordings of a run are written into a staging folder beside the store and
moved in only when every recording has been read: bad input anywhere leaves the store as it was (Ctrl-C moves the
finished ones in, so a rerun resumes). ``recordings.csv`` is written last, so it only lists complete recordings.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from tqdm import tqdm

from mcat.atomic import atomic_dir, exclusive, replace_dir, write_csv
from mcat.config import IngestParams, params_digest
from mcat.data.framewise import read_classes, read_csv, read_framewise
from mcat.data.arrays import array_problem
from mcat.data.mmfit import find_workouts, read_mmfit
from mcat.data.provided_masks import read_provided_masks
from mcat.data.recording import SourceDataset, SourceRecording
from mcat.data.sources import materialize
from mcat.data.digest import file_sha256
from mcat.data.store import CLASSES, FRAMES, INDEX, LABELS, META, PROVIDED_MASKS, RECORDING_COLUMNS, write_classes
from mcat.data.framing import Framing
from mcat.data.video import decode_gray, open_video, resize_masks
from mcat.errors import McatError


STORE_FORMAT = "mcat-store/2"  # bump when meta.json or the arrays change; older recordings are re-ingested


@dataclass(frozen=True)
class IngestResult:
    out: Path
    layout: str
    recordings: int
    ingested: int
    skipped: int
    frames: int


def read_dataset(root: Path, params: IngestParams) -> SourceDataset:
    """Parse the dataset at ``root`` in the configured layout (``auto`` looks at what is there)."""
    layout = params.layout
    if layout == "auto":
        if (root / "manifest.csv").is_file():
            layout = "framewise"
        elif find_workouts(root):
            layout = "mmfit"
        else:
            raise McatError(f"cannot tell the layout of {root}: expected manifest.csv (framewise) or "
                            "wNN/wNN_labels.csv folders (mmfit); check ingest.source or set ingest.layout")
    return read_framewise(root) if layout == "framewise" else read_mmfit(root, params.mmfit)


def reconcile(rid: str, what: str, n_frames: int, n_other: int, allow_trim: int) -> int:
    """The frame count to keep when ``what`` has ``n_other`` entries for ``n_frames`` video frames."""
    diff = n_other - n_frames
    if diff == 0:
        return n_frames
    if abs(diff) <= allow_trim:
        return min(n_frames, n_other)
    more = "more" if diff > 0 else "fewer"
    raise McatError(f"recording {rid}: {what} has {n_other} entries but the video has {n_frames} frames "
                    f"({abs(diff)} {more}); fix the {what}, or set ingest.allow_trim >= {abs(diff)} to trim the longer one")


def _up_to_date(folder: Path, sources: dict, params_digest: str) -> bool:
    """Whether ``folder`` already holds this recording ingested from the same sources with the same params, intact."""
    try:
        meta = json.loads((folder / META).read_text())
    except (OSError, ValueError):
        return False  # missing or damaged: ingested again
    if not (isinstance(meta, dict) and meta.get("format") == STORE_FORMAT and meta.get("sha256") == sources
            and meta.get("params_digest") == params_digest):
        return False
    n, r = meta["n_frames"], meta["resolution"]
    arrays = [(FRAMES, np.uint8, (n, r, r)), (LABELS, np.int16, (n,))]
    if meta["has_provided_masks"]:
        arrays.append((PROVIDED_MASKS, np.uint8, (n, r, r)))
    return all(array_problem(folder / name, dtype, shape) is None for name, dtype, shape in arrays)


def ingest_recording(rec: SourceRecording, params: IngestParams, root: Path, folder: Path, sources: dict,
                     params_digest: str) -> dict:
    """Decode, label and write one recording into ``folder`` (atomically); returns its meta."""
    framing = framing_of(params)
    video = decode_gray(rec.video, framing)
    labels, notes = rec.read_labels(video.source_frames)
    n = reconcile(rec.recording_id, "labels", video.source_frames, len(labels), params.allow_trim)
    raw = None if rec.masks is None else read_provided_masks(rec.masks)
    if raw is not None:
        n = reconcile(rec.recording_id, "masks", n, len(raw), params.allow_trim)
    positions = framing.positions(n, video.fps)  # the clock: labels and masks follow their frames
    masks = None if raw is None else resize_masks(raw[positions], framing)
    meta = {
        "format": STORE_FORMAT, "recording_id": rec.recording_id, "split": rec.split, "domain": rec.domain, "subject": rec.subject,
        "fps": framing.fps or video.fps, "source_fps": video.fps, "fit": framing.fit, "n_frames": len(positions),
        "source_frames": n, "source_width": video.width, "source_height": video.height,
        "resolution": params.resolution, "trimmed_frames": video.source_frames - n,
        "trimmed_labels": len(labels) - n, "has_provided_masks": masks is not None,
        "label_notes": notes, "sha256": sources, "params_digest": params_digest,
        "files": {kind: path.relative_to(root).as_posix() for kind, path in rec.files.items()},
    }
    with atomic_dir(folder) as tmp:
        np.save(tmp / FRAMES, video.frames[:len(positions)])  # decoded on the clock: its first frames
        np.save(tmp / LABELS, labels[positions].astype(np.int16))
        if masks is not None:
            np.save(tmp / PROVIDED_MASKS, masks)
        (tmp / META).write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def ingest(params: IngestParams, out: Path, cache: Path | None = None,
           recordings: list[str] | None = None) -> IngestResult:
    """Ingest every recording of ``params.source`` (or only ``recordings``: one shard of a fanned-out ingest, see
    :func:`shard_dataset` and :func:`gather_stores`; from S3 only their videos and masks are fetched) into the
    store at ``out``."""
    with exclusive(out, "mcat ingest"):
        out = Path(out)
        dataset = _read_source(params, cache, recordings)
        root = dataset.root
        params_digest = params_digest_of(params)
        checksums = {rec.recording_id: {kind: file_sha256(path) for kind, path in rec.files.items()}
                     for rec in dataset.recordings}
        todo = {rec.recording_id for rec in dataset.recordings
                if not _up_to_date(out / rec.recording_id, checksums[rec.recording_id], params_digest)}
        for rec in dataset.recordings:  # fail before hours of decoding, not after
            if rec.recording_id in todo:
                open_video(rec.video).release()
        metas = {}
        with _staged(out) as staging:
            for rec in tqdm([r for r in dataset.recordings if r.recording_id in todo], desc="ingest", unit="rec",
                            disable=None):
                rid = rec.recording_id
                metas[rid] = ingest_recording(rec, params, root, staging / rid, checksums[rid], params_digest)
        rows = [_row(metas.get(rec.recording_id) or json.loads((out / rec.recording_id / META).read_text()), rec, root,
                     params.source) for rec in dataset.recordings]
        _remove_stale(out, {r.recording_id for r in dataset.recordings})
        write_classes(out / CLASSES, dataset.class_names)
        write_csv(out / INDEX, RECORDING_COLUMNS, ([row[c] for c in RECORDING_COLUMNS] for row in rows))
        return IngestResult(out, dataset.layout, len(rows), len(todo), len(rows) - len(todo),
                            sum(int(r["n_frames"]) for r in rows))


@contextlib.contextmanager
def _staged(out: Path) -> Iterator[Path]:
    """A folder beside ``out`` for this run's recordings. On success (or Ctrl-C) its finished recordings replace
    their folders in ``out``; on an error it is removed and ``out`` is left as it was."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        yield staging
    except KeyboardInterrupt:
        _move_in(staging, out)
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _move_in(staging, out)


def _move_in(staging: Path, out: Path) -> None:
    out.mkdir(exist_ok=True)
    for folder in sorted(staging.iterdir()):
        if not folder.name.startswith("."):  # a dot: a recording interrupted while being written
            replace_dir(folder, out / folder.name)
    shutil.rmtree(staging, ignore_errors=True)


def framing_of(params: IngestParams) -> Framing:
    """The clock and fit that ``params`` put every recording on."""
    return Framing(params.resolution, params.fps, params.fit)


def params_digest_of(params: IngestParams) -> str:
    """What decides a recording's arrays (not how many shards make them)."""
    return params_digest(params.model_dump(mode="json", exclude={"shards"}))


def _read_source(params: IngestParams, cache: Path | None, recordings: list[str] | None) -> SourceDataset:
    """The dataset at ``params.source`` (mirrored when on S3), restricted to ``recordings`` when given."""
    if recordings is None:
        return read_dataset(materialize(params.source, cache), params)
    dataset = read_dataset(materialize(params.source, cache, media=lambda rel: False), params)
    unknown = sorted(set(recordings) - {r.recording_id for r in dataset.recordings})
    if unknown:
        raise McatError(f"recordings {', '.join(unknown)} are not in the dataset at {params.source}")
    chosen = [r for r in dataset.recordings if r.recording_id in set(recordings)]
    wanted = {path.relative_to(dataset.root).as_posix() for r in chosen for path in r.files.values()}
    root = materialize(params.source, cache, media=wanted.__contains__)
    return SourceDataset(dataset.layout, root, dataset.class_names, chosen)


def shard_dataset(params: IngestParams, shards: int, cache: Path | None = None) -> list[list[str]]:
    """The dataset's recording ids dealt round-robin into at most ``shards`` non-empty shards (no video is
    fetched)."""
    ids = [r.recording_id for r in read_dataset(materialize(params.source, cache, media=lambda rel: False),
                                                 params).recordings]
    return [ids[i::shards] for i in range(min(shards, len(ids)))]


def gather_stores(parts: list[Path], shards: list[list[str]], out: Path) -> IngestResult:
    """One frame store from the shards' stores (``shards``: the plan that made them, for the dataset's order)."""
    order = [shard[i] for i in range(max(map(len, shards), default=0)) for shard in shards if i < len(shard)]
    rows: dict[str, dict] = {}
    names = None
    with atomic_dir(Path(out)) as tmp:
        for part in map(Path, parts):
            part_names = read_classes(part / CLASSES)
            if names is not None and part_names != names:
                raise McatError(f"{part} has other classes than the shards before it: ingest every shard from one dataset")
            names = part_names
            for row in read_csv(part / INDEX, RECORDING_COLUMNS, "a shard's recording index"):
                rows[row["recording_id"]] = row
                shutil.copytree(part / row["recording_id"], tmp / row["recording_id"])
        missing = [rid for rid in order if rid not in rows]
        if missing or names is None:
            raise McatError(f"the shards lack recordings {', '.join(missing) or 'all'}: every shard must finish first")
        write_classes(tmp / CLASSES, names)
        write_csv(tmp / INDEX, RECORDING_COLUMNS, ([rows[rid][c] for c in RECORDING_COLUMNS] for rid in order))
    return IngestResult(Path(out), "gathered", len(order), 0, len(order), sum(int(rows[r]["n_frames"]) for r in order))


def _row(meta: dict, rec: SourceRecording, root: Path, source: str) -> dict:
    def where(path: Path | None) -> str:
        return "" if path is None else f"{source.rstrip('/')}/{path.relative_to(root).as_posix()}"

    combined = hashlib.sha256(json.dumps(meta["sha256"], sort_keys=True).encode()).hexdigest()
    return {"recording_id": rec.recording_id, "split": rec.split, "domain": rec.domain, "subject": rec.subject,
            "fps": meta["fps"], "n_frames": meta["n_frames"], "video": where(rec.video),
            "labels": where(rec.files.get("labels")), "masks": where(rec.masks), "sha256": combined}


def _remove_stale(out: Path, keep: set[str]) -> None:
    """Drop recording folders from an earlier ingest whose recording left the dataset."""
    for folder in out.iterdir() if out.is_dir() else []:
        if folder.is_dir() and folder.name not in keep and (folder / META).is_file():
            shutil.rmtree(folder)
