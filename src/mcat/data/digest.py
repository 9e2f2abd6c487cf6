"""Digests: of a file or folder (what ingest and masks compare to skip unchanged work), and of the data a model
was trained and evaluated on (windows, store index and masks)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from mcat.data.store import MaskStore, PoseStore, Store


def data_digest(windows: Path, store: Path, masks: Path, pose: Path | None = None) -> str:
    """sha256 (hex) over the window index, the store's index and per-recording meta (sources, params), the
    masks' stamps and, for a model that reads them, the keypoints' stamps: small files that change whenever the
    pixels, labels, keypoints or windows do."""
    files = sorted(Path(windows).glob("*.csv")) + [Path(windows) / "stats.json"]
    files += Store.index_files(store) + MaskStore.stamp_files(masks)
    files += PoseStore.stamp_files(pose) if pose is not None else []
    h = hashlib.sha256()
    for file in files:
        if file.is_file():
            h.update(f"{file.parent.name}/{file.name}\0".encode())
            h.update(file.read_bytes())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file, or of a folder's sorted file names and contents."""
    h = hashlib.sha256()
    files = sorted(p for p in Path(path).rglob("*") if p.is_file()) if Path(path).is_dir() else [Path(path)]
    for file in files:
        h.update(file.name.encode())
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()
