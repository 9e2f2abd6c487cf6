"""A model that reads keypoints, through the stages: the windows carry the keypoints of their frames, training,
evaluation, the speed test, export, explain and the served model read them, prediction computes them from the
video, and what lacks them says so in one line."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from mcat.config import WindowsParams
from mcat.data.dataset import WindowDataset
from mcat.data.store import MaskStore, PoseStore, Store
from mcat.data.person_crop import joints_crop
from mcat.errors import McatError
from mcat.data.windowing import window_starts
from mcat.evaluate.stage import evaluate
from mcat.explain.stage import explain
from mcat.export.stage import export
from mcat.inference import ClipsOnly, predict_proba, windows_proba
from mcat.modelfile import load_model_file
from mcat.data import video as video_module
from mcat.masks.backends import make_segmenter
from mcat.pose.stage import estimate_video, make_estimator
from mcat.predict.stage import classify, framing_of, predict, read_video
from mcat.registry.pyfunc import ExerciseClassifier, signature
from mcat.speedtest.resample import ResampledWindows
from mcat.speedtest.stage import speedtest
from mcat.train.loop import fit
from mcat.windows.stage import make_windows

from conftest import ROOT, tiny_params

BLAZEPOSE = ROOT.parent / "shared/models/mediapipe_pose_landmark_lite_with_segmentation.tflite"


@pytest.fixture(scope="module")
def pose_model(tmp_path_factory, tiny_windows, tiny_pose):
    out = tmp_path_factory.mktemp("pose-model")
    params = tiny_params("train.epochs=2", "train.input_mode=both+pose")
    return params, fit(params.train, *tiny_windows, out, pose=tiny_pose)


def test_windows_carry_the_keypoints_of_their_frames_moved_with_the_crop(tiny_store, tiny_pose, tmp_path):
    store, masks = tiny_store
    for crop in ("none", "person"):
        windows = make_windows(WindowsParams(T=8, stride=8, crop=crop, crop_margin=0.2), store, masks,
                               tmp_path / crop).out
        ds = WindowDataset(windows, "train", store, masks, pose_dir=tiny_pose)
        clip, joints, label = ds[3]
        rid, start = ds.recording_ids[ds.recording[3]], int(ds.starts[3])
        stored = np.load(tiny_pose / f"{rid}.npy")[start:start + 8]
        whole_masks = np.load(masks / f"{rid}.npy")[start:start + 8]
        assert joints.dtype == torch.float32 and joints.shape == (8, 13, 3)
        np.testing.assert_array_equal(joints.numpy(), joints_crop(crop, 0.2)(stored, whole_masks))
        assert (clip.numpy() == WindowDataset(windows, "train", store, masks)[3][0].numpy()).all()
        seen = joints[..., 2] > 0
        x, y = (joints[..., 0][seen] * clip.shape[-1]).long(), (joints[..., 1][seen] * clip.shape[-1]).long()
        frames = seen.nonzero()[:, 0]
        near = torch.nn.functional.max_pool2d(clip[1].float()[:, None], 5, 1, 2)[:, 0]  # within 2 px of the mask
        assert near[frames, y.clamp(max=clip.shape[-1] - 1), x.clamp(max=clip.shape[-1] - 1)].mean() > 0.9


def test_a_pose_model_trains_evaluates_and_is_speed_tested(pose_model, tiny_windows, tiny_pose, tmp_path):
    params, result = pose_model
    model = load_model_file(result.model_path)
    assert model.input_mode == "both+pose" and result.epochs_run == 2
    scores = evaluate(params.evaluate, result.model_path, *tiny_windows, tmp_path / "reports", pose=tiny_pose,
                      explain=params.explain)
    assert set(scores.metrics) >= {"val", "test"} and scores.explained.startswith("explain: 4 test windows")
    windows, store, masks = tiny_windows
    curve = speedtest(params.speedtest, result.model_path, store, masks, tmp_path / "speed", pose=tiny_pose)
    assert [r["factor"] for r in curve.curve["test"]] == params.speedtest.factors
    again = fit(params.train, *tiny_windows, result.model_path.parent, pose=tiny_pose)
    assert again.epochs_run == 0  # the keypoints are part of the recipe: the same ones, nothing to do


def test_predict_computes_the_keypoints_of_a_video_on_the_fly(pose_model, tiny_dataset, tiny_store, tiny_pose,
                                                               tmp_path, capsys, monkeypatch):
    params, result = pose_model
    params = tiny_params("predict.mask_backend=background", f"pose.blazepose.model={BLAZEPOSE}")
    video = tiny_dataset / "videos/test_000.mp4"
    decodes, clock = [], video_module._Clock  # the one decode loop, whichever reader runs it
    monkeypatch.setattr(video_module, "_Clock", lambda *a, **k: decodes.append(a[0]) or clock(*a, **k))
    [run] = predict(params.predict, str(result.model_path), [video], tmp_path / "p", masks=params.masks,
                    pose=params.pose).videos
    assert decodes == [video]  # masks and keypoints from one decode
    assert run.probs.shape == (len(run.starts), 4) and (tmp_path / "p/test_000/segments.json").is_file()
    assert "trained on 'provided' keypoints and predicts on 'blazepose'" in capsys.readouterr().err
    store, masks = tiny_store  # the keypoints reach the model: other keypoints, other answers
    model, frames = load_model_file(result.model_path), np.load(store / "test_000/frames.npy")
    stored, exact = np.load(masks / "test_000.npy"), np.load(tiny_pose / "test_000.npy")
    _, with_joints = classify(model, frames, stored, 8, torch.device("cpu"), exact)
    _, unseen = classify(model, frames, stored, 8, torch.device("cpu"), np.zeros_like(exact))
    assert not np.allclose(with_joints, unseen, atol=1e-4)
    # the keypoints of that one decode are those `mcat pose` finds reading the video again around the same masks
    segmenter, estimator = make_segmenter(params.masks.model_copy(update={"backend": "background"})), make_estimator(
        params.pose.model_copy(update={"backend": "blazepose"}))
    framing, info = framing_of(model), video_module.probe(video)
    _, new_masks, joints = read_video(segmenter, estimator, video, framing, params.masks.batch_size)
    assert joints.shape == (len(new_masks), 13, 3) and (joints[..., 2] > 0).any()
    np.testing.assert_array_equal(joints, estimate_video(estimator, video, framing, new_masks, info.width, info.height))
    _, _, every_2nd = read_video(segmenter, estimator, video, framing, params.masks.batch_size, pose_every=2)
    np.testing.assert_array_equal(every_2nd[::2], joints[::2])  # the estimated frames; the others interpolated
    # in a second thread, a batch behind the segmenter: the same masks and keypoints
    _, threaded_masks, threaded = read_video(segmenter, estimator, video, framing, 4, pose_every=2, pose_thread=True)
    np.testing.assert_array_equal(threaded_masks, new_masks)
    np.testing.assert_array_equal(threaded, every_2nd)
    # scored from each frame's tokens (predict's way for MCAT) as from each window's clip
    starts, from_clips = classify(dataclasses.replace(model, model=ClipsOnly(model.model)), frames, stored, 8,
                                  torch.device("cpu"), exact)
    np.testing.assert_array_equal(starts, window_starts(len(frames), 16, model.preprocessing.stride))
    np.testing.assert_allclose(with_joints, from_clips, atol=1e-5)


@pytest.mark.parametrize("fmt", ["onnx", "onnx-int8", "torchscript"])
def test_an_exported_pose_model_takes_clips_and_keypoints(fmt, pose_model, tiny_windows, tiny_pose, tmp_path):
    params, result = pose_model
    out = tmp_path / ("m.pt" if fmt == "torchscript" else "m.onnx")
    export(params.export.model_copy(update={"format": fmt}), str(result.model_path), out, *tiny_windows,
           pose=tiny_pose)
    exported, eager = load_model_file(out), load_model_file(result.model_path)
    ds = WindowDataset(tiny_windows[0], "test", *tiny_windows[1:], pose_dir=tiny_pose)
    clips, joints = (torch.stack([ds[i][k] for i in range(5)]) for k in (0, 1))
    with torch.no_grad():
        agree = (exported.model(clips, joints).argmax(1) == eager.model(clips, joints).argmax(1)).float().mean()
    assert agree >= (0.8 if fmt == "onnx-int8" else 1.0)
    metrics = evaluate(params.evaluate, out, *tiny_windows, tmp_path / "reports", pose=tiny_pose)
    assert set(metrics.metrics) >= {"val", "test"}


def test_explain_and_the_served_model_take_keypoints_beside_the_clips(pose_model, tiny_trained, tiny_windows, tiny_pose,
                                                                     tmp_path):
    params, result = pose_model
    both = tiny_trained[2] / "model.pt"
    explained = explain(params.explain, [str(result.model_path), str(both)], *tiny_windows, tmp_path / "x",
                        pose=tiny_pose)
    assert explained.models == ["mcat both+pose", "mcat"] and len(explained.windows) == 4
    index = json.loads((tmp_path / "x/index.json").read_text())
    assert index["models"]["mcat both+pose"] == ["appearance", "mask"]
    assert all((tmp_path / "x" / w["attention"]).is_file() for w in index["windows"])
    served, loaded = ExerciseClassifier(), load_model_file(result.model_path)
    served.loaded = loaded
    ds = WindowDataset(tiny_windows[0], "test", *tiny_windows[1:], pose_dir=tiny_pose)
    clips, joints = (np.stack([ds[i][k].numpy() for i in range(6)]) for k in (0, 1))
    frame = served.predict(None, {"clips": clips, "pose": joints})
    with torch.inference_mode():
        expected = torch.softmax(loaded.model(torch.from_numpy(clips), torch.from_numpy(joints)), dim=1).numpy()
    np.testing.assert_allclose(frame[loaded.class_names].to_numpy(), expected, atol=1e-5)
    assert [s.name for s in signature(loaded.class_names, 16, 32, 13).inputs.inputs] == ["clips", "pose"]


def test_what_cannot_give_a_pose_model_keypoints_says_so_in_one_line(pose_model, tiny_windows, tiny_dataset, tmp_path):
    params, result = pose_model
    windows, store, masks = tiny_windows
    with pytest.raises(McatError, match="model.pt reads pose keypoints .* run `mcat pose` and give its output"):
        evaluate(params.evaluate, result.model_path, *tiny_windows, tmp_path / "reports")
    with pytest.raises(McatError, match="model 'mcat' reads pose keypoints \\(input mode 'pose'\\): run `mcat pose`"):
        fit(tiny_params("train.input_mode=pose").train, *tiny_windows, tmp_path / "m")
    with pytest.raises(McatError, match="the model reads pose keypoints .*give the pose settings"):
        predict(params.predict, str(result.model_path), [tiny_dataset / "videos"], tmp_path / "p", masks=params.masks)
    assert not any((tmp_path / name).exists() for name in ("reports", "m", "p"))


def test_the_pose_gap_bench_takes_one_error_at_a_time(pose_model, tiny_windows, tiny_pose, tmp_path):
    """bench/pose_gap_bench.py on an 'estimated' store that lost the person in some frames and moved every joint:
    each mixed store carries exactly the one error it names, the scaled one (--scales) that error at half its size."""
    import subprocess
    import sys

    estimated = tmp_path / "estimated"
    estimated.mkdir()
    for path in tiny_pose.iterdir():
        if path.suffix == ".npy":
            joints = np.load(path)
            moved = np.where(joints[..., 2:] > 0, np.clip(joints + [0.03, -0.02, 0], 0, 1), 0)
            moved[::3] = 0  # nobody found in every third frame
            np.save(estimated / path.name, moved.astype(np.float32))
        elif path.is_file():
            (estimated / path.name).write_bytes(path.read_bytes())
    model = str(pose_model[1].model_path)
    windows, store, masks = tiny_windows
    proc = subprocess.run([sys.executable, "bench/pose_gap_bench.py", f"a={model},{model}", f"b={model},{model}",
                           "--estimated", str(estimated), "--provided", str(tiny_pose), "--windows", str(windows),
                           "--store", str(store), "--masks", str(masks), "--work", str(tmp_path / "work"),
                           "--scales", "0.5"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ") and "keypoints at test" not in line]
    assert [r.split(" | ")[0][2:] for r in rows] == ["provided", "missed people only", "joints off by 0.5x",
                                                      "misplaced joints only", "estimated"]
    assert all(r.endswith("+0.0 ± 0.0 |") for r in rows)  # the same model in both groups: no difference
    for name, rid in (("missed_people_only", "test_000"), ("misplaced_joints_only", "test_000")):
        mixed = np.load(tmp_path / "work/keypoints" / name / f"{rid}.npy")
        exact, moved = np.load(tiny_pose / f"{rid}.npy"), np.load(estimated / f"{rid}.npy")
        kept = exact if name == "missed_people_only" else moved
        np.testing.assert_array_equal(mixed[1::3], kept[1::3])
        np.testing.assert_array_equal(mixed[::3], 0 if name == "missed_people_only" else exact[::3])
    halfway = np.load(tmp_path / "work/keypoints/joints_off_by_0.5x/test_000.npy")
    seen = exact[1::3, :, 2:] > 0
    np.testing.assert_allclose(halfway[1::3], np.where(seen, (exact[1::3] + moved[1::3]) / 2, moved[1::3]), atol=1e-6)
    np.testing.assert_array_equal(halfway[::3], exact[::3])
    assert set(json.loads((tmp_path / "work/scores.json").read_text())) == {"a", "b"}


def test_the_pose_gap_bench_writes_a_store_in_the_estimators_convention(tiny_windows, tiny_pose, tmp_path):
    """--write-convention alone: an estimator that agrees with the provided keypoints has no convention of its own,
    so the written store is the provided one; no mixed store is written; and it refuses to overwrite an input, or
    scales that are not fractions below 1, in one line."""
    import subprocess
    import sys

    _, store, _ = tiny_windows

    def bench(out: Path, *more: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "bench/pose_gap_bench.py", "--estimated", str(tiny_pose), "--provided",
                               str(tiny_pose), "--store", str(store), "--work", str(tmp_path / "work"),
                               "--write-convention", str(out), *more], cwd=ROOT, capture_output=True, text=True,
                              timeout=600)

    proc = bench(tmp_path / "convention")
    assert proc.returncode == 0, proc.stderr
    assert "train: estimated joints along the body toward the head (median, body sizes): head +0.000" in proc.stdout
    for path in tiny_pose.glob("*.npy"):
        np.testing.assert_array_equal(np.load(tmp_path / "convention" / path.name), np.load(path))
    assert not (tmp_path / "work").exists()
    before = {p.name: p.read_bytes() for p in tiny_pose.iterdir() if p.is_file()}
    refused = bench(tiny_pose)
    assert refused.returncode == 1 and "would be overwritten" in refused.stderr and "Traceback" not in refused.stderr
    assert {p.name: p.read_bytes() for p in tiny_pose.iterdir() if p.is_file()} == before
    for scales in ("1.5", "0.5,x"):
        refused = bench(tmp_path / "other", "--scales", scales)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
        assert f"argument --scales: '{scales}': give fractions from 0 up to 1" in refused.stderr.splitlines()[-1]
    assert not (tmp_path / "other").exists()


def test_evaluation_and_the_speed_test_score_each_frame_once_as_clip_by_clip(pose_model, tiny_windows, tiny_pose):
    """``windows_proba`` encodes each frame a window uses once (MCAT's frame tokens): the same labels and
    probabilities as scoring every window's clip and keypoints, for stored and for resampled windows."""
    model = load_model_file(pose_model[1].model_path)
    windows, store, masks = tiny_windows
    stored = WindowDataset(windows, "test", store, masks, pose_dir=tiny_pose)
    resampled = ResampledWindows(Store(store), MaskStore(masks), stored.recording_ids, 1.5, stored.T, stored.stride,
                                 poses=PoseStore(tiny_pose))
    assert stored.uncropped() and resampled.uncropped() and len(resampled)
    for dataset in (stored, resampled):
        labels, by_frames = windows_proba(model.model, dataset, 8, torch.device("cpu"))
        expected_labels, by_clips = predict_proba(model.model, DataLoader(dataset, batch_size=8), torch.device("cpu"))
        np.testing.assert_array_equal(labels, expected_labels)
        np.testing.assert_allclose(by_frames, by_clips, atol=1e-5)
