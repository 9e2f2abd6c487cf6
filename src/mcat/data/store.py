"""Reading the frame store that ``mcat ingest`` writes (layout in :mod:`mcat.data.ingest`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcat.atomic import write_csv
from mcat.data.framewise import read_classes, read_csv
from mcat.errors import McatError

RECORDING_COLUMNS = ("recording_id", "split", "domain", "subject", "fps", "n_frames", "video", "labels", "masks",
                     "sha256")


def write_classes(path: Path, names: list[str]) -> None:
    write_csv(path, ["id", "name"], enumerate(names))


@dataclass(frozen=True)
class StoredRecording:
    recording_id: str
    split: str
    domain: str
    subject: str
    fps: float
    n_frames: int


class Store:
    """The ingested recordings at ``root``: their index, class names, frames, labels and provided masks."""

    def __init__(self, root: Path):
        self.root = Path(root)
        index = self.root / "recordings.csv"
        if not index.is_file():
            raise McatError(f"{index} does not exist: run `mcat ingest` first (or pass the store's folder)")
        self.class_names = read_classes(self.root / "classes.csv")
        self.recordings = [
            StoredRecording(r["recording_id"], r["split"], r["domain"], r["subject"], float(r["fps"]), int(r["n_frames"]))
            for r in read_csv(index, RECORDING_COLUMNS, "the recording index")]
        if not self.recordings:
            raise McatError(f"{index} lists no recordings: the dataset is empty")

    def meta(self, rid: str) -> dict:
        """The recording's ``meta.json`` (sources, fps, label notes, ...)."""
        return json.loads((self.root / rid / "meta.json").read_text())

    def frames(self, rid: str) -> np.ndarray:
        """uint8 [N, R, R], memory-mapped."""
        return self._array(rid, "frames.npy")

    def labels(self, rid: str) -> np.ndarray:
        """int16 [N]."""
        return self._array(rid, "labels.npy")

    def provided_masks(self, rid: str) -> np.ndarray | None:
        """uint8 {0,1} [N, R, R], memory-mapped, or None when the dataset ships no masks for ``rid``."""
        path = self.root / rid / "provided_masks.npy"
        return np.load(path, mmap_mode="r") if path.is_file() else None

    def _array(self, rid: str, name: str) -> np.ndarray:
        path = self.root / rid / name
        if not path.is_file():
            raise McatError(f"{path} is missing: the store is incomplete, run `mcat ingest` again")
        return np.load(path, mmap_mode="r")
