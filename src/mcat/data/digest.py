"""One digest for the data a model was trained and evaluated on: windows, store index and masks."""

from __future__ import annotations

import hashlib
from pathlib import Path


def data_digest(windows: Path, store: Path, masks: Path) -> str:
    """sha256 (hex) over the window index, the store's index and per-recording meta (sources, params) and
    the masks' stamps: small files that change whenever the pixels, labels or windows do."""
    files = sorted(Path(windows).glob("*.csv")) + [Path(windows) / "stats.json"]
    files += [Path(store) / "recordings.csv", Path(store) / "classes.csv", *sorted(Path(store).glob("*/meta.json"))]
    files += sorted(Path(masks).glob("*.json"))
    h = hashlib.sha256()
    for file in files:
        if file.is_file():
            h.update(f"{file.parent.name}/{file.name}\0".encode())
            h.update(file.read_bytes())
    return h.hexdigest()
