import csv
import json

import cv2
import numpy as np
import pytest

from mcat.data.framewise import read_framewise
from mcat.errors import McatError
from mcat.synth.stage import plan_sets, synth

from conftest import leftovers, tiny_params


def decode(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            return np.stack(frames)
        frames.append(frame)


def test_writes_the_framewise_layout(tiny_dataset, tiny):
    dataset = read_framewise(tiny_dataset)
    assert dataset.class_names == ["non_activity", "squats", "jumping_jacks", "bicep_curls"]
    assert [r.split for r in dataset.recordings] == ["train", "train", "val", "test"]
    assert {r.domain for r in dataset.recordings if r.split == "test"} == {"fast"}
    with open(tiny_dataset / "sets.csv") as f:
        sets = list(csv.DictReader(f))
    assert len(sets) == len(dataset.recordings) * tiny.synth.sets_per_recording
    for rec in dataset.recordings:
        labels, _ = rec.read_labels(0)
        frames = decode(rec.video)
        masks = np.load(rec.masks)["masks"]
        size = {(int(r["height"]), int(r["width"])) for r in sets if r["recording_id"] == rec.recording_id}
        assert size <= {(tiny.synth.height, tiny.synth.width), (tiny.synth.width, tiny.synth.height),
                        (tiny.synth.height, tiny.synth.height)} and len(size) == 1
        assert frames.shape == (len(labels), *size.pop(), 3)
        assert masks.shape == frames.shape[:3] and set(np.unique(masks)) == {0, 1}
        assert set(np.unique(labels)) >= {0}
    report = json.loads((tiny_dataset / "synth.json").read_text())
    assert report["kl_train_test_nats"] >= 0
    assert not leftovers(tiny_dataset.parent)


def test_every_exercise_appears_in_every_split_when_there_are_enough_sets(tiny):
    for split_index, (split, sp) in enumerate(tiny.synth.splits.items()):
        sets = plan_sets(tiny.synth, split_index, sp.recordings)
        if sp.recordings * tiny.synth.sets_per_recording >= len(tiny.synth.exercises):
            assert {e for rec in sets for e in rec} == set(tiny.synth.exercises), split


def test_same_seed_same_dataset_whatever_the_workers_other_seed_other_dataset(tmp_path, tiny_dataset):
    params = tiny_params("synth.splits.train.recordings=2", "synth.splits.val.recordings=0",
                         "synth.splits.test.recordings=0")
    a = synth(params.synth, tmp_path / "a").out
    b = synth(params.synth, tmp_path / "b", workers=2).out
    c = synth(params.synth.model_copy(update={"seed": 7}), tmp_path / "c").out
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != "synth.json")
    assert len(files) == 3 + 4 * 2  # per recording: video, labels, masks, pose
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    # The session dataset's first recording used the same seed and split: identical too.
    assert (a / "videos/train_000.mp4").read_bytes() == (tiny_dataset / "videos/train_000.mp4").read_bytes()
    assert (a / "videos/train_000.mp4").read_bytes() != (c / "videos/train_000.mp4").read_bytes()


def test_more_train_recordings_leave_the_test_recordings_as_they_are(tmp_path):
    """Budgets with more train recordings (`--preset real-video`, bench/budget.sh) are scored on the same test set."""
    def render(train: int):
        params = tiny_params(f"synth.splits.train.recordings={train}", "synth.splits.val.recordings=0",
                             "synth.splits.test.recordings=1")
        return synth(params.synth, tmp_path / str(train)).out
    few, more = render(1), render(3)
    test_files = sorted(p.relative_to(few) for p in few.rglob("test_*"))
    assert len(test_files) == 4  # video, labels, masks, pose
    for name in test_files:
        assert (few / name).read_bytes() == (more / name).read_bytes(), name


def rep_period_seconds(masks: np.ndarray, labels: np.ndarray, fps: float) -> float:
    """Dominant period of the silhouette's vertical centroid during the exercise frames (FFT peak)."""
    rows = np.arange(masks.shape[1])[None, :]
    weight = masks.sum(axis=2)
    centroid = (weight * rows).sum(axis=1) / np.maximum(weight.sum(axis=1), 1)
    signal = centroid[labels > 0]
    signal = signal - signal.mean()
    n = 16 * len(signal)
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal)), n))
    freqs = np.fft.rfftfreq(n, 1 / fps)
    band = freqs > 0.2
    return 1 / freqs[band][np.argmax(spectrum[band])]


@pytest.mark.parametrize("tempo", [2.0, 3.0])
def test_fast_domain_is_faster_by_the_tempo_measured_from_the_rendered_motion(tmp_path, tempo):
    params = tiny_params("synth.exercises=[squats]", "synth.sets_per_recording=1", "synth.reps_per_set=[10, 10]",
                         "synth.splits.val.recordings=0", "synth.splits.train.recordings=1",
                         "synth.splits.test.recordings=1", f"synth.domains.fast.tempo={tempo}",
                         "synth.camera.zoom=0", "synth.camera.pan=0")  # a still camera: only the body moves
    out = synth(params.synth, tmp_path / "d").out
    period = {}
    for rid in ("train_000", "test_000"):
        masks = np.load(out / f"masks/{rid}.npz")["masks"]
        labels = np.loadtxt(out / f"labels/{rid}.csv", delimiter=",", skiprows=1, dtype=int)[:, 1]
        period[rid] = rep_period_seconds(masks, labels, params.synth.fps)
    assert period["train_000"] == pytest.approx(3.0, rel=0.1)  # squats' slow period
    assert period["train_000"] / period["test_000"] == pytest.approx(tempo, rel=0.2)


def test_zero_recordings_is_an_error_and_leaves_nothing(tmp_path):
    params = tiny_params("synth.splits.train.recordings=0", "synth.splits.val.recordings=0",
                         "synth.splits.test.recordings=0")
    with pytest.raises(McatError, match="0 recordings"):
        synth(params.synth, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not leftovers(tmp_path)


def test_manifest_paths_are_relative(tiny_dataset):
    with open(tiny_dataset / "manifest.csv") as f:
        rows = list(csv.DictReader(f))
    assert all(not r["video"].startswith("/") and (tiny_dataset / r["video"]).is_file() for r in rows)
