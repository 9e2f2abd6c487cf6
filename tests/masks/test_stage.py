import csv

import numpy as np
import pytest

from mcat.ingest.stage import ingest
from mcat.errors import McatError
from mcat.masks.stage import gather_masks, generate_masks, shard_recordings

from conftest import tiny_params, with_source


def quality_rows(folder):
    with open(folder / "quality.csv") as f:
        return {r["recording_id"]: r for r in csv.DictReader(f)}


def test_provided_masks_are_copied_scored_and_drawn(tiny_store):
    store, masks = tiny_store
    rows = quality_rows(masks)
    assert set(rows) == {"train_000", "train_001", "val_000", "test_000"}
    for rid, row in rows.items():
        np.testing.assert_array_equal(np.load(masks / f"{rid}.npy"), np.load(store / rid / "provided_masks.npy"))
        assert 0.02 < float(row["coverage_mean"]) < 0.5 and float(row["empty_ratio"]) == 0
        assert float(row["iou_vs_provided"]) == 1.0
        assert (masks / "overlays" / f"{rid}.png").stat().st_size > 0


@pytest.fixture
def copied_store(tmp_path, dataset_copy):
    params = with_source(tiny_params(), dataset_copy)
    return params, ingest(params.ingest, tmp_path / "store").out


def test_a_segmenter_reads_the_source_videos_and_is_scored_against_the_truth(tmp_path, copied_store):
    params, store = copied_store
    background = params.model_copy(update={"masks": params.masks.model_copy(update={"backend": "background"})})
    result = generate_masks(background.masks, store, tmp_path / "masks", source=background.ingest.source)
    assert result.generated == 4
    masks = np.load(tmp_path / "masks/train_000.npy")
    assert masks.shape == np.load(store / "train_000/frames.npy").shape and set(np.unique(masks)) <= {0, 1}
    for row in quality_rows(tmp_path / "masks").values():
        assert 0 <= float(row["iou_vs_provided"]) < 1  # scored against the renderer's exact masks


def test_resume_after_an_interruption_and_rerun_does_nothing(tmp_path, copied_store, dataset_copy):
    params, store = copied_store
    params = params.model_copy(update={"masks": params.masks.model_copy(update={"backend": "background"})})
    video = dataset_copy / "videos/val_000.mp4"
    intact = video.read_bytes()
    video.write_bytes(intact[:100])  # the run breaks at the third recording
    with pytest.raises(McatError, match="val_000.mp4"):
        generate_masks(params.masks, store, tmp_path / "masks", source=params.ingest.source)
    assert sorted(p.name for p in (tmp_path / "masks").glob("*.npy")) == ["train_000.npy", "train_001.npy"]
    video.write_bytes(intact)
    assert generate_masks(params.masks, store, tmp_path / "masks", source=params.ingest.source).generated == 2  # only what was missing
    assert generate_masks(params.masks, store, tmp_path / "masks", source=params.ingest.source).generated == 0
    other = params.model_copy(update={"masks": params.masks.model_copy(
        update={"background": params.masks.background.model_copy(update={"history": 50})})})
    assert generate_masks(other.masks, store, tmp_path / "masks", source=other.ingest.source).generated == 4  # params changed


def test_provided_backend_without_provided_masks_is_an_error(tmp_path, dataset_copy):
    manifest = dataset_copy / "manifest.csv"
    manifest.write_text(manifest.read_text().replace("masks/val_000.npz", ""))
    params = with_source(tiny_params(), dataset_copy)
    store = ingest(params.ingest, tmp_path / "store").out
    with pytest.raises(McatError, match="recording val_000 has no provided masks"):
        generate_masks(params.masks, store, tmp_path / "masks", source=params.ingest.source)


def test_shards_gathered_equal_one_unsharded_run(tmp_path, tiny, tiny_store):
    store, whole = tiny_store
    shards = shard_recordings(store, 3)
    assert sorted(sum(shards, [])) == sorted(quality_rows(whole)) and len(shards) == 3
    parts = [generate_masks(tiny.masks, store, tmp_path / f"part{i}", source=tiny.ingest.source, recordings=ids).out for i, ids in enumerate(shards)]
    gathered = gather_masks(parts, tmp_path / "gathered")
    assert gathered.recordings == 4 and quality_rows(tmp_path / "gathered") == quality_rows(whole)
    for rid in quality_rows(whole):
        np.testing.assert_array_equal(np.load(tmp_path / "gathered" / f"{rid}.npy"), np.load(whole / f"{rid}.npy"))
    with pytest.raises(McatError, match="recordings nope are not in the store"):
        generate_masks(tiny.masks, store, tmp_path / "bad", source=tiny.ingest.source, recordings=["nope"])
