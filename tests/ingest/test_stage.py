import json

import cv2
import numpy as np

from mcat.ingest.stage import ingest
from mcat.data.store import Store

from conftest import leftovers


def test_store_holds_luminance_frames_labels_and_masks(tiny_store, tiny_dataset, tiny):
    store = Store(tiny_store[0])
    assert store.class_names == ["non_activity", "squats", "jumping_jacks", "bicep_curls"]
    r = tiny.ingest.resolution
    rec = store.recordings[0]
    frames, labels, masks = store.frames(rec.recording_id), store.labels(rec.recording_id), store.provided_masks(rec.recording_id)
    assert frames.dtype == np.uint8 and frames.shape == (rec.n_frames, r, r)
    assert labels.dtype == np.int16 and labels.shape == (rec.n_frames,)
    assert masks.dtype == np.uint8 and masks.shape == frames.shape and set(np.unique(masks)) <= {0, 1}
    source = np.loadtxt(tiny_dataset / f"labels/{rec.recording_id}.csv", delimiter=",", skiprows=1, dtype=int)[:, 1]
    np.testing.assert_array_equal(labels, source)
    cap = cv2.VideoCapture(str(tiny_dataset / f"videos/{rec.recording_id}.mp4"))
    for i in range(5):
        ok, bgr = cap.read()
        b, g, red = (bgr[..., c].astype(float) for c in range(3))
        luminance = np.clip(np.round(0.299 * red + 0.587 * g + 0.114 * b), 0, 255).astype(np.uint8)
        h, w = luminance.shape  # fitted with its aspect ratio: the longer side becomes r, zero bars fill the rest
        nh, nw = round(h * r / max(h, w)), round(w * r / max(h, w))
        y, x = (r - nh) // 2, (r - nw) // 2
        expected = np.zeros((r, r), np.uint8)
        expected[y:y + nh, x:x + nw] = cv2.resize(luminance, (nw, nh), interpolation=cv2.INTER_LINEAR)
        assert np.abs(frames[i].astype(int) - expected).max() <= 1
    exact = np.load(tiny_dataset / f"masks/{rec.recording_id}.npz")["masks"]
    nearest = np.zeros((r, r), np.uint8)
    nearest[y:y + nh, x:x + nw] = cv2.resize(exact[0], (nw, nh), interpolation=cv2.INTER_NEAREST)
    np.testing.assert_array_equal(masks[0], nearest)


def test_index_and_meta(tiny_store):
    store = Store(tiny_store[0])
    meta = json.loads((store.root / "train_000" / "meta.json").read_text())
    assert set(meta["sha256"]) == {"video", "labels", "masks", "pose"}
    assert meta["fps"] == 30 and meta["trimmed_frames"] == 0
    assert [r.split for r in store.recordings] == ["train", "train", "val", "test"]


def test_rerun_skips_unchanged_and_redoes_changed(tmp_path, dataset_copy, tiny):
    params = tiny.ingest.model_copy(update={"source": str(dataset_copy)})
    first = ingest(params, tmp_path / "store")
    assert (first.ingested, first.skipped) == (4, 0)
    again = ingest(params, tmp_path / "store")
    assert (again.ingested, again.skipped) == (0, 4)
    labels = dataset_copy / "labels/val_000.csv"
    lines = labels.read_text().splitlines()
    lines[5] = lines[5].split(",")[0] + ",3"
    labels.write_text("\n".join(lines) + "\n")
    changed = ingest(params, tmp_path / "store")
    assert (changed.ingested, changed.skipped) == (1, 3)
    assert np.load(tmp_path / "store/val_000/labels.npy")[4] == 3
    bigger = ingest(params.model_copy(update={"resolution": 40}), tmp_path / "store")
    assert bigger.ingested == 4
    assert np.load(tmp_path / "store/val_000/frames.npy").shape[1:] == (40, 40)
    assert not leftovers(tmp_path)


def test_recordings_removed_from_the_dataset_leave_the_store(tmp_path, dataset_copy, tiny):
    params = tiny.ingest.model_copy(update={"source": str(dataset_copy)})
    ingest(params, tmp_path / "store")
    manifest = dataset_copy / "manifest.csv"
    manifest.write_text("\n".join(line for line in manifest.read_text().splitlines() if not line.startswith("val_000")))
    result = ingest(params, tmp_path / "store")
    assert result.recordings == 3 and not (tmp_path / "store/val_000").exists()


def test_a_60_fps_recording_is_stored_on_the_30_fps_clock_with_its_labels_and_masks(tmp_path, dataset_copy, tiny):
    """Every other frame of a 60 fps video, and the labels and masks of those frames: the frames decoded between
    are skipped, and the labels are matched against all of the video's frames."""
    rid, n = "test_000", 41
    manifest = (dataset_copy / "manifest.csv").read_text().replace(f"videos/{rid}.mp4", f"videos/{rid}.avi")
    (dataset_copy / "manifest.csv").write_text(manifest)
    writer = cv2.VideoWriter(str(dataset_copy / f"videos/{rid}.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 60.0, (64, 48))
    for i in range(n):
        writer.write(np.full((48, 64, 3), 5 * i, np.uint8))  # frame i has brightness 5 i
    writer.release()
    (dataset_copy / f"labels/{rid}.csv").write_text("frame,label\n" + "".join(f"{i},{i % 4}\n" for i in range(n)))
    masks = np.zeros((n, 48, 64), np.uint8)
    for i in range(n):
        masks[i, :, :i + 1] = 1  # frame i's mask covers its first i + 1 columns
    np.savez_compressed(dataset_copy / f"masks/{rid}.npz", masks=masks)
    params = tiny.ingest.model_copy(update={"source": str(dataset_copy)})
    store = Store(ingest(params, tmp_path / "store").out)
    kept = np.arange(0, n, 2)  # the 30 fps clock: source frames 0, 2, ..., 40
    meta = store.meta(rid)
    assert (meta["source_fps"], meta["fps"], meta["source_frames"], meta["n_frames"]) == (60.0, 30, n, len(kept))
    np.testing.assert_array_equal(store.labels(rid), kept % 4)
    brightness = store.frames(rid)[:, 24, 24] / 5  # the picture's centre (zero bars above and below)
    np.testing.assert_allclose(brightness, kept, atol=0.5)
    columns = store.provided_masks(rid)[:, 24].sum(axis=1) * 64 / store.frames(rid).shape[-1]
    np.testing.assert_allclose(columns, kept + 1, atol=2)
