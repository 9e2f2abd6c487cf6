import csv

import numpy as np
import pytest

from mcat.data.ingest import ingest
from mcat.errors import McatError
from mcat.masks.stage import generate_masks


def test_provided_masks_are_copied_and_scored(tiny_store):
    store, masks = tiny_store
    with open(masks / "quality.csv") as f:
        rows = {r["recording_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"train_000", "train_001", "val_000", "test_000"}
    for rid, row in rows.items():
        np.testing.assert_array_equal(np.load(masks / f"{rid}.npy"), np.load(store / rid / "provided_masks.npy"))
        assert 0.02 < float(row["coverage_mean"]) < 0.5 and float(row["empty_ratio"]) == 0


def test_rerun_does_nothing_and_missing_masks_are_an_error(tmp_path, dataset_copy, tiny):
    params = tiny.ingest.model_copy(update={"source": str(dataset_copy)})
    store = ingest(params, tmp_path / "store").out
    assert generate_masks(tiny.masks, store, tmp_path / "masks").generated == 4
    assert generate_masks(tiny.masks, store, tmp_path / "masks").generated == 0
    manifest = dataset_copy / "manifest.csv"
    manifest.write_text(manifest.read_text().replace("masks/val_000.npz", ""))
    store = ingest(params, tmp_path / "store").out
    with pytest.raises(McatError, match="recording val_000 has no provided masks"):
        generate_masks(tiny.masks, store, tmp_path / "masks")
