"""The ``framewise`` layout: ``manifest.csv``, ``classes.csv``, videos, per-frame label CSVs, optional masks
and keypoints.

::

    manifest.csv   recording_id, video, labels, split, domain, subject[, masks][, pose]   (paths relative to the root)
    classes.csv    id, name          (ids 0..C-1; 0 is background / non_activity)
    <labels>.csv   frame, label      (one row per video frame, frames 0, 1, 2, ...)
    <masks>        .npz / .npy [N, h, w], a video, or a folder of PNGs (non-zero = person)
    <pose>         .npy float32 [N, K, 3] per video frame (layout: mcat.pose.joints), read by `mcat pose`
"""

from __future__ import annotations

import csv
from functools import partial
from pathlib import Path

import numpy as np

from mcat.data.recording import SourceDataset, SourceRecording, check_recording_id
from mcat.errors import McatError

MANIFEST_COLUMNS = ("recording_id", "video", "labels", "split", "domain", "subject")


def read_csv(path: Path, required: tuple[str, ...], what: str) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV with a header, or a :class:`McatError` naming a missing file, a missing column or
    text that is not UTF-8 CSV."""
    if not path.is_file():
        raise McatError(f"{what} {path} does not exist")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            columns = [c.strip() for c in (reader.fieldnames or [])]
            missing = [c for c in required if c not in columns]
            if missing:
                raise McatError(f"{path} lacks column(s) {', '.join(missing)} (it has: {', '.join(columns) or 'none'});"
                                f" {what} needs {', '.join(required)}")
            return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    except UnicodeDecodeError as exc:
        raise McatError(f"{what} {path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}): "
                        "save it as UTF-8") from None
    except csv.Error as exc:
        raise McatError(f"{what} {path} is not a readable CSV ({exc}): fix the file") from None


def read_classes(path: Path) -> list[str]:
    """Class names indexed by id from ``classes.csv``; ids must be 0..C-1."""
    rows = read_csv(path, ("id", "name"), "the class list")
    try:
        by_id = {int(r["id"]): r["name"] for r in rows}
    except ValueError:
        raise McatError(f"{path}: every id must be an integer") from None
    if sorted(by_id) != list(range(len(rows))) or not rows:
        raise McatError(f"{path}: ids must be 0, 1, ..., C-1 with each once (got {sorted(by_id)})")
    return [by_id[i] for i in range(len(rows))]


def read_label_csv(path: Path, num_classes: int, rid: str) -> np.ndarray:
    """Per-frame labels int16 [N] from a ``frame,label`` CSV, checked against the class ids."""
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    except (ValueError, OSError) as exc:
        raise McatError(f"recording {rid}: cannot read labels {path} as 'frame,label' integer rows: {exc}") from None
    if table.size == 0:
        raise McatError(f"recording {rid}: labels {path} has no rows")
    if table.shape[1] != 2:
        raise McatError(f"recording {rid}: labels {path} must have 2 columns frame,label, found {table.shape[1]}")
    frames, labels = table[:, 0], table[:, 1]
    bad_frame = np.flatnonzero(frames != np.arange(len(frames)))
    if bad_frame.size:
        i = int(bad_frame[0])
        raise McatError(f"recording {rid}: {path} row {i + 2} has frame {frames[i]}, expected {i}; "
                        "frames must count 0, 1, 2, ... with one row per video frame")
    bad_label = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if bad_label.size:
        i = int(bad_label[0])
        raise McatError(f"recording {rid}: label {labels[i]} at frame {i} of {path} is not a class id in "
                        f"classes.csv (0..{num_classes - 1}); fix the label or add the class")
    return labels.astype(np.int16)


def _fixed_labels(labels: np.ndarray, n_frames: int) -> tuple[np.ndarray, dict]:
    return labels, {}


def read_framewise(root: Path) -> SourceDataset:
    """Parse and check the manifest, the classes and every label file (no video is opened here)."""
    names = read_classes(root / "classes.csv")
    rows = read_csv(root / "manifest.csv", MANIFEST_COLUMNS, "the manifest")
    if not rows:
        raise McatError(f"{root / 'manifest.csv'} lists no recordings: the dataset is empty")
    recordings, seen = [], set()
    for line, row in enumerate(rows, start=2):
        where = f"{root / 'manifest.csv'} line {line}"
        rid = check_recording_id(row["recording_id"], where)
        if rid in seen:
            raise McatError(f"{where}: recording id '{rid}' appears twice")
        seen.add(rid)
        for column in MANIFEST_COLUMNS:
            if not row[column]:
                raise McatError(f"{where}: column '{column}' is empty for recording {rid}")
        files = {"video": root / row["video"], "labels": root / row["labels"]}
        for optional in ("masks", "pose"):
            if row.get(optional):
                files[optional] = root / row[optional]
        for kind, path in files.items():
            if not path.exists():
                raise McatError(f"recording {rid}: {kind} file {path} does not exist (from {where})")
        labels = read_label_csv(files["labels"], len(names), rid)
        recordings.append(SourceRecording(
            recording_id=rid, split=row["split"], domain=row["domain"], subject=row["subject"],
            video=files["video"], read_labels=partial(_fixed_labels, labels), files=files,
            masks=files.get("masks")))
    return SourceDataset("framewise", root, names, recordings)
