"""``mcat masks``: one person-mask array per recording, and ``quality.csv``.

Output::

    <out>/<id>.npy       uint8 {0,1} [N, R, R], aligned with the store's frames
    <out>/<id>.json      what the masks were made from (for skipping unchanged recordings)
    <out>/quality.csv    one row per recording (see :mod:`mcat.masks.quality`)

Backend ``provided`` takes the masks the dataset ships (ingested with the frames).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mcat.atomic import atomic_file, write_csv
from mcat.config import MasksParams
from mcat.data.ingest import file_sha256
from mcat.data.store import Store
from mcat.errors import McatError
from mcat.masks.quality import QUALITY_COLUMNS, mask_quality


@dataclass(frozen=True)
class MasksResult:
    out: Path
    recordings: int
    generated: int
    coverage_mean: float
    empty_ratio: float


def _provided(store: Store, rid: str) -> np.ndarray:
    masks = store.provided_masks(rid)
    if masks is None:
        raise McatError(f"recording {rid} has no provided masks: the dataset ships none for it; choose another "
                        "masks.backend or add a masks column to the manifest")
    return np.asarray(masks)


def generate_masks(params: MasksParams, store_dir: Path, out: Path) -> MasksResult:
    """Write masks for every recording of the store at ``store_dir`` into ``out``."""
    store, out = Store(store_dir), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    recipe = {"backend": params.model_dump(mode="json")}
    rows, generated = [], 0
    for rec in tqdm(store.recordings, desc="masks", unit="rec", disable=None):
        stamp = {**recipe, "ingest_meta_sha256": file_sha256(store.root / rec.recording_id / "meta.json")}
        target, stamp_file = out / f"{rec.recording_id}.npy", out / f"{rec.recording_id}.json"
        if target.is_file() and stamp_file.is_file() and json.loads(stamp_file.read_text()) == stamp:
            masks = np.load(target, mmap_mode="r")
        else:
            masks = _provided(store, rec.recording_id)
            with atomic_file(target) as tmp:
                np.save(tmp, masks)
            with atomic_file(stamp_file) as tmp:
                tmp.write_text(json.dumps(stamp, indent=1))
            generated += 1
        rows.append({"recording_id": rec.recording_id, **mask_quality(masks)})
    write_csv(out / "quality.csv", QUALITY_COLUMNS, ([row[c] for c in QUALITY_COLUMNS] for row in rows))
    frames = sum(r["frames"] for r in rows)
    coverage = sum(r["coverage_mean"] * r["frames"] for r in rows) / frames
    empty = sum(r["empty_ratio"] * r["frames"] for r in rows) / frames
    return MasksResult(out, len(rows), generated, coverage, empty)
