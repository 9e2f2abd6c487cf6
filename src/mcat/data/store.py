"""The stores between stages, and the one place their layout is spelled out.

The frame store (written by ``mcat ingest``)::

    <root>/recordings.csv             one row per recording: id, split, domain, subject, fps, n_frames, ...
    <root>/classes.csv                id, name
    <root>/<id>/frames.npy            uint8 [N, R, R] grayscale (luminance), bilinear resize
    <root>/<id>/labels.npy            int16 [N] class ids
    <root>/<id>/provided_masks.npy    uint8 {0,1} [N, R, R] nearest resize, when the dataset ships masks
    <root>/<id>/meta.json             sources (paths relative to the dataset root, sha256), params digest, label notes

The mask store (written by ``mcat masks``)::

    <root>/<id>.npy            uint8 {0,1} [N, R, R], aligned with the frame store's frames
    <root>/<id>.json           the stamp: what the masks were made from
    <root>/quality.csv         one row per recording (see :mod:`mcat.masks.quality`)
    <root>/overlays/<id>.png   a few frames with their masks

The pose store (written by ``mcat pose``)::

    <root>/<id>.npy            float32 [N, K, 3] keypoints aligned with the frame store's frames: x, y in [0, 1]
                               of the R×R frame, visibility (layout: :mod:`mcat.pose.joints`)
    <root>/<id>.json           the stamp: what the keypoints were made from
    <root>/quality.csv         one row per recording (see :mod:`mcat.pose.quality`)
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcat.atomic import atomic_dir, atomic_file, write_csv
from mcat.data.arrays import array_problem, open_array
from mcat.data.framewise import read_classes, read_csv
from mcat.data.framing import Framing
from mcat.errors import McatError

RECORDING_COLUMNS = ("recording_id", "split", "domain", "subject", "fps", "n_frames", "video", "labels", "masks",
                     "sha256")
INDEX, CLASSES, META = "recordings.csv", "classes.csv", "meta.json"
FRAMES, LABELS, PROVIDED_MASKS = "frames.npy", "labels.npy", "provided_masks.npy"
QUALITY = "quality.csv"
REMASK = "run `mcat masks` again (it rebuilds damaged masks)"
REINGEST = "run `mcat ingest` again (it rebuilds damaged recordings)"


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
        index = self.root / INDEX
        if not index.is_file():
            raise McatError(f"{index} does not exist: run `mcat ingest` first (or pass the store's folder)")
        self.class_names = read_classes(self.root / CLASSES)
        self.recordings = [
            StoredRecording(r["recording_id"], r["split"], r["domain"], r["subject"], float(r["fps"]), int(r["n_frames"]))
            for r in read_csv(index, RECORDING_COLUMNS, "the recording index")]
        if not self.recordings:
            raise McatError(f"{index} lists no recordings: the dataset is empty")
        self._n_frames = {r.recording_id: r.n_frames for r in self.recordings}

    def chosen(self, recordings: list[str] | None) -> list[StoredRecording]:
        """The store's recordings, or only ``recordings`` (one shard of a fanned-out stage), in store order."""
        if recordings is None:
            return self.recordings
        unknown = sorted(set(recordings) - {r.recording_id for r in self.recordings})
        if unknown:
            raise McatError(f"recordings {', '.join(unknown)} are not in the store {self.root}")
        return [r for r in self.recordings if r.recording_id in set(recordings)]

    @staticmethod
    def index_files(root: Path) -> list[Path]:
        """The small files that change whenever any recording's pixels or labels do (for data digests)."""
        root = Path(root)
        return [root / INDEX, root / CLASSES, *sorted(root.glob(f"*/{META}"))]

    def meta_path(self, rid: str) -> Path:
        return self.root / rid / META

    def meta(self, rid: str) -> dict:
        """The recording's ``meta.json`` (sources, fps, label notes, ...)."""
        return json.loads(self.meta_path(rid).read_text())

    def framing(self, rid: str) -> Framing:
        """The clock and fit the recording was ingested with (stores older than both: own rate, stretched)."""
        meta = self.meta(rid)
        return Framing(meta["resolution"], meta["fps"] if "fit" in meta else 0.0, meta.get("fit", "stretch"))

    def frames(self, rid: str) -> np.ndarray:
        """uint8 [N, R, R], memory-mapped and checked (see :mod:`mcat.data.arrays`)."""
        return open_array(self.root / rid / FRAMES, np.uint8, (self._n_frames[rid], None, None), REINGEST)

    def labels(self, rid: str) -> np.ndarray:
        """int16 [N], memory-mapped and checked."""
        return open_array(self.root / rid / LABELS, np.int16, (self._n_frames[rid],), REINGEST)

    def provided_masks(self, rid: str) -> np.ndarray | None:
        """uint8 {0,1} [N, R, R], memory-mapped and checked, or None when the dataset ships no masks for ``rid``."""
        path = self.root / rid / PROVIDED_MASKS
        return open_array(path, np.uint8, self.frames(rid).shape, REINGEST) if path.is_file() else None


def backend_recipe(section) -> dict:
    """What decides a per-recording array of ``section`` (the masks' or the keypoints' params): its backend and
    that backend's settings (none for ``provided``); batch sizes, overlays and thresholds of reports do not."""
    if section.backend == "provided":
        return {"backend": "provided"}
    return {"backend": section.backend, section.backend: getattr(section, section.backend).model_dump(mode="json")}


class _PerRecording:
    """One array per recording of a frame store at ``root``, each with its stamp, and one quality table."""

    REDO: str  # the command that remakes them

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, rid: str) -> Path:
        return self.root / f"{rid}.npy"

    def stamp_path(self, rid: str) -> Path:
        return self.root / f"{rid}.json"

    @property
    def quality_path(self) -> Path:
        return self.root / QUALITY

    @staticmethod
    def stamp_files(root: Path) -> list[Path]:
        """Every recording's stamp (for data digests)."""
        return sorted(Path(root).glob("*.json"))

    def is_current(self, rid: str, stamp: dict, dtype: type, shape: tuple[int, ...]) -> bool:
        """Whether ``rid``'s array was made from ``stamp`` (what it depends on) and is intact."""
        try:
            made_from = json.loads(self.stamp_path(rid).read_text())
        except (OSError, ValueError):
            return False
        return made_from == stamp and array_problem(self.path(rid), dtype, shape) is None

    def backend(self) -> str:
        """The backend every recording's array was made with (from their stamps); an error when they differ."""
        backends = set()
        for path in self.stamp_files(self.root):
            try:
                backends.add(json.loads(path.read_text()).get("backend", "?"))
            except (OSError, ValueError, AttributeError):
                raise McatError(f"{path} is damaged (not a JSON stamp): {self.REDO}") from None
        if len(backends) != 1:
            raise McatError(f"{self.root} holds arrays of {len(backends)} backends ({sorted(backends)}): "
                            f"{self.REDO} so that every recording's come from one backend")
        return backends.pop()

    def write(self, rid: str, array: np.ndarray, stamp: dict) -> None:
        """``rid``'s array, then its stamp (each all or nothing: a crash between leaves a stale stamp, redone)."""
        with atomic_file(self.path(rid)) as tmp:
            np.save(tmp, array)
        with atomic_file(self.stamp_path(rid)) as tmp:
            tmp.write_text(json.dumps(stamp, indent=1))


class PoseStore(_PerRecording):
    """The pose keypoints at ``root``."""

    REDO = "run `mcat pose` again"

    def pose(self, rid: str, n_frames: int | None, joints: int) -> np.ndarray:
        """float32 [N, K, 3], memory-mapped; a :class:`McatError` when missing, damaged or not of that shape."""
        return open_array(self.path(rid), np.float32, (n_frames, joints, 3), "run `mcat pose` again (it rebuilds "
                          "damaged keypoints)")


class MaskStore(_PerRecording):
    """The person masks at ``root``."""

    REDO = "run `mcat masks` again"

    def overlay_path(self, rid: str) -> Path:
        return self.root / "overlays" / f"{rid}.png"

    def masks(self, rid: str, shape: tuple[int, int, int]) -> np.ndarray:
        """uint8 {0,1} [N, R, R], memory-mapped; a :class:`McatError` when missing, damaged or not of ``shape``
        (the recording's frames' shape)."""
        return open_array(self.path(rid), np.uint8, shape, REMASK)


def gather_per_recording(parts: list[Path], out: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """One per-recording folder (masks or keypoints) at ``out`` from the shards' folders: their files side by side
    and one quality table of ``columns`` (rows in recording order, which it returns)."""
    out = Path(out)
    with atomic_dir(out) as tmp:
        rows = []
        for part in map(Path, parts):
            for path in part.rglob("*"):
                if path.is_file() and path.name != QUALITY:
                    (tmp / path.relative_to(part)).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, tmp / path.relative_to(part))
            rows += read_csv(part / QUALITY, columns, "quality table")
        rows.sort(key=lambda r: r["recording_id"])
        write_csv(tmp / QUALITY, list(columns), ([row[c] for c in columns] for row in rows))
    return rows
