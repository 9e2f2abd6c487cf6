"""The MM-Fit layout, built from rendered videos with MM-Fit's own file formats."""

import json
import shutil

import numpy as np
import pytest

from mcat.classes import MMFIT_EXERCISES
from mcat.ingest.stage import ingest
from mcat.data.mmfit import STANDARD_SPLIT, frame_ids, labels_from_sets
from mcat.data.store import Store
from mcat.errors import McatError

FIRST_ID = 1000
GAP_ROW, GAP = 100, 5  # camera frame ids jump by 1 + GAP after this row (dropped frames)


def camera_ids(n_rows: int) -> np.ndarray:
    ids = FIRST_ID + np.arange(n_rows)
    ids[GAP_ROW:] += GAP
    return ids


def make_workout(root, w, video, n_frames, sets):
    folder = root / w
    folder.mkdir(parents=True)
    shutil.copy(video, folder / f"{w}_rgb.mp4")
    pose = np.zeros((2, n_frames, 19))
    pose[:, :, 0] = camera_ids(n_frames)
    np.save(folder / f"{w}_pose_2d.npy", pose)
    (folder / f"{w}_labels.csv").write_text("".join(f"{s},{e},10,{a}\n" for s, e, a in sets))


@pytest.fixture
def mmfit_root(tmp_path, tiny_dataset, tiny_store):
    store = Store(tiny_store[0])
    n = {r.recording_id: r.n_frames for r in store.recordings}
    root = tmp_path / "mmfit"
    make_workout(root, "w01", tiny_dataset / "videos/train_000.mp4", n["train_000"],
                 [(1010, 1060, "squats"), (1090, 1150, "pushups")])  # the second set straddles the gap
    make_workout(root, "w14", tiny_dataset / "videos/val_000.mp4", n["val_000"], [(1200, 1300, "jumping_jacks")])
    make_workout(root, "w09", tiny_dataset / "videos/test_000.mp4", n["test_000"],
                 [(1020, 1040, "lunges"), (99990, 99999, "situps")])  # the second set is past the video
    return root, n


def test_ingest_maps_camera_frame_ids_and_splits(tmp_path, mmfit_root, tiny):
    root, n = mmfit_root
    result = ingest(tiny.ingest.model_copy(update={"source": str(root)}), tmp_path / "store")
    assert result.layout == "mmfit" and result.recordings == 3
    store = Store(tmp_path / "store")
    assert store.class_names == ["non_activity", *MMFIT_EXERCISES]
    assert {r.recording_id: r.split for r in store.recordings} == {"w01": "train", "w14": "val", "w09": "test"}
    labels = np.asarray(store.labels("w01"))
    ids = camera_ids(n["train_000"])
    squats, pushups = 1 + MMFIT_EXERCISES.index("squats"), 1 + MMFIT_EXERCISES.index("pushups")
    np.testing.assert_array_equal(np.flatnonzero(labels == squats), np.arange(10, 61))
    # ids 1090..1150 are rows 90..99 (ids 1090-1099) and rows 100..145 (ids 1105..1150)
    np.testing.assert_array_equal(np.flatnonzero(labels == pushups), np.flatnonzero((ids >= 1090) & (ids <= 1150)))
    assert labels[np.flatnonzero(ids == 1099)[0]] == pushups
    assert (labels[(ids < 1010) | ((ids > 1060) & (ids < 1090)) | (ids > 1150)] == 0).all()
    notes = json.loads((tmp_path / "store/w01/meta.json").read_text())["label_notes"]
    assert notes["id_gaps"] == 1 and notes["ids_missing_in_gaps"] == GAP
    assert json.loads((tmp_path / "store/w09/meta.json").read_text())["label_notes"]["sets_outside_video"] == 1


def test_video_positions_when_asked(tmp_path, mmfit_root, tiny):
    root, _ = mmfit_root
    for w in ("w01", "w14", "w09"):
        (root / w / f"{w}_pose_2d.npy").unlink()
    params = tiny.ingest.model_copy(update={"source": str(root), "mmfit": tiny.ingest.mmfit.model_copy(
        update={"frame_index": "video"})})
    with pytest.raises(McatError, match="frame_index=video"):
        ingest(tiny.ingest.model_copy(update={"source": str(root)}), tmp_path / "s1")
    ingest(params, tmp_path / "s2")
    assert (np.asarray(Store(tmp_path / "s2").labels("w14")) > 0).sum() == 0  # ids 1200.. are past the positions


def test_missing_video_and_bad_activity(tmp_path, mmfit_root, tiny):
    root, _ = mmfit_root
    params = tiny.ingest.model_copy(update={"source": str(root)})
    (root / "w14" / "w14_rgb.mp4").unlink()
    with pytest.raises(McatError, match="w14: expected exactly one video .* found none. MM-Fit's public zip"):
        ingest(params, tmp_path / "store")
    shutil.rmtree(root / "w14")
    (root / "w09" / "w09_labels.csv").write_text("10,20,5,burpees\n")
    with pytest.raises(McatError, match="w09_labels.csv line 1: activity 'burpees'"):
        ingest(params, tmp_path / "store")


def test_frame_ids_continue_past_the_pose_rows(tmp_path):
    pose = np.zeros((2, 5, 19))
    pose[0, :, 0] = [10, 11, 12, 14, 15]
    np.save(tmp_path / "p.npy", pose)
    ids, notes = frame_ids(8, tmp_path / "p.npy")
    np.testing.assert_array_equal(ids, [10, 11, 12, 14, 15, 16, 17, 18])
    assert notes["ids_continued_past_pose_rows"] == 3 and notes["id_gaps"] == 1
    labels, _ = labels_from_sets([(12, 16, "squats")], ids)
    np.testing.assert_array_equal(labels, [0, 0, 1, 1, 1, 1, 0, 0])


def test_standard_split_covers_all_21_workouts_once():
    workouts = [w for ws in STANDARD_SPLIT.values() for w in ws]
    assert sorted(workouts) == [f"w{i:02d}" for i in range(21)]
