"""The ``mmfit`` layout: the MM-Fit release with the user's RGB videos added.

::

    wNN/wNN_labels.csv    no header: start_frame, end_frame, rep_count, activity (one row per set)
    wNN/wNN_pose_2d.npy   [2, N, 1 + joints]; [0, i, 0] is the camera frame id of row i (= video frame i)
    wNN/<video>           the workout's RGB video, found by ingest.mmfit.video_glob (not in the public zip)

Label frame numbers are camera frame ids, not positions. With ``frame_index: pose`` video frame ``i``
has id ``pose_2d[0, i, 0]`` (frames beyond the pose rows continue the ids one by one); with ``video``
the ids are the positions. A frame is labelled with the set whose [start, end] holds its id, else
``non_activity`` (the WITH NULL protocol). Workouts go to splits by the standard MM-Fit split.
"""

from __future__ import annotations

import csv
import re
from functools import partial
from pathlib import Path

import numpy as np

from mcat.classes import MMFIT_EXERCISES, class_names
from mcat.config import MmfitParams
from mcat.data.recording import SourceDataset, SourceRecording
from mcat.errors import McatError

STANDARD_SPLIT = {
    "train": ("w01", "w02", "w03", "w04", "w06", "w07", "w08", "w16", "w17", "w18"),
    "val": ("w14", "w15", "w19"),
    "test": ("w09", "w10", "w11"),
    "unseen": ("w00", "w05", "w12", "w13", "w20"),
}
SPLIT_OF = {w: split for split, workouts in STANDARD_SPLIT.items() for w in workouts}
_WORKOUT = re.compile(r"^w\d\d$")


def find_workouts(root: Path) -> list[Path]:
    """Workout folders ``wNN`` that hold a ``wNN_labels.csv``."""
    return sorted(p for p in root.iterdir() if p.is_dir() and _WORKOUT.match(p.name)
                  and (p / f"{p.name}_labels.csv").is_file())


def read_sets(path: Path) -> list[tuple[int, int, str]]:
    """(start id, end id, activity) per row of a header-less MM-Fit label file."""
    sets = []
    with open(path, newline="") as f:
        for line, row in enumerate(csv.reader(f), start=1):
            if not row:
                continue
            if len(row) != 4:
                raise McatError(f"{path} line {line}: expected start_frame,end_frame,rep_count,activity, got {row}")
            try:
                start, end = int(row[0]), int(row[1])
            except ValueError:
                raise McatError(f"{path} line {line}: start and end frames must be integers, got {row[:2]}") from None
            activity = row[3].strip()
            if activity not in MMFIT_EXERCISES:
                raise McatError(f"{path} line {line}: activity '{activity}' is not an MM-Fit exercise "
                                f"({', '.join(MMFIT_EXERCISES)})")
            if end < start:
                raise McatError(f"{path} line {line}: end frame {end} is before start frame {start}")
            sets.append((start, end, activity))
    if not sets:
        raise McatError(f"{path} holds no exercise sets")
    return sets


def frame_ids(n_frames: int, pose_file: Path | None) -> tuple[np.ndarray, dict]:
    """Camera frame id int64 [n_frames] of each video frame, and notes on the mapping."""
    if pose_file is None:
        return np.arange(n_frames, dtype=np.int64), {"frame_index": "video position"}
    ids = np.load(pose_file, mmap_mode="r")[0, :, 0].astype(np.int64)
    notes: dict = {"frame_index": f"{pose_file.name}[0, :, 0]", "pose_rows": int(len(ids)), "video_frames": n_frames}
    if len(ids) < n_frames:
        extra = ids[-1] + 1 + np.arange(n_frames - len(ids))
        notes["ids_continued_past_pose_rows"] = int(n_frames - len(ids))
        ids = np.concatenate([ids, extra])
    ids = ids[:n_frames]
    steps = np.diff(ids)
    if (steps <= 0).any():
        raise McatError(f"{pose_file}: camera frame ids must increase, but row {int(np.argmax(steps <= 0)) + 1} "
                        "does not; set ingest.mmfit.frame_index=video to use video positions")
    gaps = steps[steps > 1]
    notes["id_gaps"] = int(len(gaps))
    notes["ids_missing_in_gaps"] = int((gaps - 1).sum())
    return ids, notes


def labels_from_sets(sets: list[tuple[int, int, str]], ids: np.ndarray) -> tuple[np.ndarray, dict]:
    """Class ids int16 [len(ids)]: the set whose [start, end] holds each frame id, else non_activity (0)."""
    class_id = {name: i for i, name in enumerate(class_names(MMFIT_EXERCISES))}
    labels = np.zeros(len(ids), np.int16)
    outside = 0
    for start, end, activity in sets:
        inside = (ids >= start) & (ids <= end)
        labels[inside] = class_id[activity]
        outside += not inside.any()
    return labels, {"sets": len(sets), "sets_outside_video": outside}


def _workout_labels(sets: list, pose_file: Path | None, n_frames: int) -> tuple[np.ndarray, dict]:
    ids, notes = frame_ids(n_frames, pose_file)
    labels, more = labels_from_sets(sets, ids)
    return labels, {**notes, **more}


def read_mmfit(root: Path, params: MmfitParams) -> SourceDataset:
    workouts = find_workouts(root)
    if not workouts:
        raise McatError(f"{root} holds no MM-Fit workout folders (wNN/wNN_labels.csv): the dataset is empty")
    recordings = []
    for folder in workouts:
        w = folder.name
        if w not in SPLIT_OF:
            raise McatError(f"{folder}: workout {w} is not in the standard MM-Fit split (w00-w20)")
        videos = sorted(folder.glob(params.video_glob))
        if len(videos) != 1:
            found = ", ".join(v.name for v in videos) or "none"
            raise McatError(f"{folder}: expected exactly one video matching ingest.mmfit.video_glob="
                            f"'{params.video_glob}', found {found}. MM-Fit's public zip has no RGB video: put "
                            f"the workout's video in {folder} or change the glob")
        files = {"video": videos[0], "labels": folder / f"{w}_labels.csv"}
        pose_file = None
        if params.frame_index == "pose":
            pose_file = folder / f"{w}_pose_2d.npy"
            if not pose_file.is_file():
                raise McatError(f"{pose_file} is missing: it maps label frame ids to video frames; supply it "
                                "or set ingest.mmfit.frame_index=video if the ids are video positions")
            files["pose_2d"] = pose_file
        sets = read_sets(files["labels"])
        recordings.append(SourceRecording(
            recording_id=w, split=SPLIT_OF[w], domain="mmfit", subject=w, video=videos[0],
            read_labels=partial(_workout_labels, sets, pose_file), files=files))
    return SourceDataset("mmfit", root, class_names(MMFIT_EXERCISES), recordings)
