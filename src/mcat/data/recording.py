"""What every dataset layout yields: recordings with their files, split and a way to read their labels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from mcat.errors import McatError

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class SourceRecording:
    """One recording of a dataset, before ingest.

    ``read_labels(n_frames)`` returns per-frame class ids int16 [M] and notes on how they were derived
    (M may differ from ``n_frames``; ingest reconciles the two under ``ingest.allow_trim``).
    ``files`` lists everything the recording is made of, for checksums.
    """

    recording_id: str
    split: str
    domain: str
    subject: str
    video: Path
    read_labels: Callable[[int], tuple[np.ndarray, dict]]
    files: dict[str, Path]
    masks: Path | None = None


@dataclass(frozen=True)
class SourceDataset:
    layout: str
    root: Path
    class_names: list[str]
    recordings: list[SourceRecording] = field(default_factory=list)


def check_recording_id(rid: str, where: str) -> str:
    if not _SAFE_ID.match(rid):
        raise McatError(f"{where}: recording id '{rid}' must be letters, digits, '_', '.' or '-' "
                        "(it becomes a folder name)")
    return rid
