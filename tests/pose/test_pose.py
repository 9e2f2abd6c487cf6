"""Pose keypoints: the renderer's exact joints, `mcat pose` with each backend (BlazePose measured against the exact
joints on the synthetic videos), the quality table, reruns and bad input."""

import csv
import os

import numpy as np
import pytest

from conftest import ROOT, tiny_params, with_source
from mcat.cli import main
from mcat.config import YoloPoseParams
from mcat.data.boxes import mask_box
from mcat.data.framewise import read_framewise
from mcat.errors import McatError
from mcat.ingest.stage import ingest
from mcat.masks.stage import generate_masks
from mcat.pose.blazepose import BlazePose
from mcat.pose.joints import JOINTS, K
from mcat.pose.stage import estimate_pose, interpolated
from mcat.pose.yolo import YoloPose

BLAZEPOSE = ROOT.parent / "shared" / "models" / "mediapipe_pose_landmark_lite_with_segmentation.tflite"
needs_models = pytest.mark.skipif(not BLAZEPOSE.is_file() and not os.environ.get("CI"),
                                  reason="../shared/models is not beside the repo")


def quality(folder):
    with open(folder / "quality.csv") as f:
        return {r["recording_id"]: r for r in csv.DictReader(f)}


def pose_params(backend: str, **overrides):
    params = tiny_params()
    pose = params.pose.model_copy(update={"backend": backend, **overrides})
    return params.model_copy(update={"pose": pose})


def test_the_renderer_writes_its_exact_joints_on_the_person(tiny_dataset):
    dataset = read_framewise(tiny_dataset)
    for rec in dataset.recordings:
        pose = np.load(rec.files["pose"])
        masks = np.load(rec.masks)["masks"]
        assert pose.dtype == np.float32 and pose.shape == (len(masks), K, 3)
        seen = pose[..., 2] > 0
        assert seen.mean() > 0.9 and set(np.unique(pose[..., 2])) <= {0.0, 1.0}
        assert np.all(pose[~seen] == 0) and np.all((pose[seen][:, :2] >= 0) & (pose[seen][:, :2] <= 1))
        h, w = masks.shape[1:]
        frame, joint = np.nonzero(seen)
        x, y = (pose[frame, joint, 0] * w).astype(int), (pose[frame, joint, 1] * h).astype(int)
        assert masks[frame, y, x].all()  # a seen joint is where the person is seen
        heads, ankles = pose[..., JOINTS.index("head"), 1], pose[..., JOINTS.index("ankle_l"), 1]
        both = seen[:, JOINTS.index("head")] & seen[:, JOINTS.index("ankle_l")]
        assert np.median(heads[both] < ankles[both]) == 1  # mostly upright: the head above the feet


def test_provided_keypoints_go_into_the_store_frame_and_reruns_keep_them(tiny_store, tiny_dataset, tmp_path, capsys):
    store, masks = tiny_store
    out = tmp_path / "pose"
    params = pose_params("provided")
    result = estimate_pose(params.pose, store, masks, out, source=str(tiny_dataset))
    assert (result.recordings, result.generated, result.empty_ratio) == (4, 4, 0.0)
    stored_masks = np.load(masks / "train_000.npy")
    pose = np.load(out / "train_000.npy")
    assert pose.shape == (len(stored_masks), K, 3)
    seen = pose[..., 2] > 0
    r = stored_masks.shape[1]
    frame, joint = np.nonzero(seen)
    x, y = ((pose[frame, joint, i] * r).astype(int).clip(0, r - 1) for i in (0, 1))
    assert stored_masks[frame, y, x].mean() > 0.9  # on the person in the R×R frame (the masks' nearest resize)
    rows = quality(out)
    assert set(rows) == {"train_000", "train_001", "val_000", "test_000"}
    assert all(row["error_vs_provided"] == "nan" for row in rows.values())  # not judged against itself
    before = (out / "train_000.npy").stat().st_mtime_ns
    assert main(["pose", "--preset", "tiny", "-S", f"ingest.source={tiny_dataset}", "--store", str(store),
                 "--masks", str(masks), "--out", str(out)]) == 0
    assert "4 recordings (0 generated)" in capsys.readouterr().out
    assert (out / "train_000.npy").stat().st_mtime_ns == before


@needs_models
def test_blazepose_finds_the_rendered_joints(tiny_store, tiny_dataset, tmp_path):
    store, masks = tiny_store
    model = tiny_params().pose.blazepose.model_copy(update={"model": str(BLAZEPOSE)})
    params = pose_params("blazepose", blazepose=model)
    result = estimate_pose(params.pose, store, masks, tmp_path / "pose", source=str(tiny_dataset),
                           recordings=["val_000", "test_000"])
    assert (result.recordings, result.empty_ratio) == (2, 0.0) and result.missing_joints < 0.05
    for row in quality(tmp_path / "pose").values():  # measured 0.027-0.031 and 0.88-0.92
        assert float(row["error_vs_provided"]) < 0.045 and float(row["pck_vs_provided"]) > 0.75
        assert 0 < float(row["jitter"]) < 0.05


@needs_models
def test_blazepose_gives_seen_joints_visibility_one_at_the_same_places(tiny_dataset):
    import cv2

    capture = cv2.VideoCapture(str(tiny_dataset / "videos" / "val_000.mp4"))
    frames = [capture.read()[1] for _ in range(8)]
    box = mask_box(np.load(tiny_dataset / "masks" / "val_000.npz")["masks"][0])
    params = tiny_params().pose.blazepose.model_copy(update={"model": str(BLAZEPOSE)})
    confidence, seen = (np.stack([BlazePose(params.model_copy(update={"visibility": v})).estimate(f, box)
                                  for f in frames]) for v in ("confidence", "seen"))
    placed = confidence[..., 2] > 0
    assert placed.mean() > 0.9 and (confidence[placed][:, 2] < 0.99).any()  # the model's scores are not all 1
    assert np.array_equal(seen[..., :2], confidence[..., :2]) and np.array_equal(seen[..., 2], placed)


def test_yolo_pose_from_its_yaml_runs_and_refuses_a_segmentation_model(ultralytics_home, tiny_dataset):
    import cv2
    import torch

    torch.manual_seed(0)
    estimator = YoloPose(YoloPoseParams(weights="yolo11n-pose.yaml", confidence=0.0, imgsz=160, device="cpu"))
    capture = cv2.VideoCapture(str(tiny_dataset / "videos" / "train_000.mp4"))
    ok, frame = capture.read()
    threads = torch.get_num_threads()
    points = estimator.estimate(frame, np.array([0.3, 0.1, 0.7, 0.9], np.float32))
    assert ok and points.shape == (K, 3) and points.dtype == np.float32 and torch.get_num_threads() == threads
    with pytest.raises(McatError, match="cannot build a YOLO pose model from 'yolo11n-seg.yaml'.*pose.yolo.weights"):
        YoloPose(YoloPoseParams(weights="yolo11n-seg.yaml", confidence=0.0, imgsz=160, device="cpu"))


def test_bad_input_is_one_line_and_writes_nothing(tiny_store, dataset_copy, tmp_path, capsys):
    store, masks = tiny_store
    base = ["pose", "--preset", "tiny", "--store", str(store), "--masks", str(masks)]
    assert main([*base, "-S", "pose.backend=blazepose", "-S", "pose.blazepose.model=/nowhere/pose.tflite",
                 "--out", str(tmp_path / "a")]) == 1
    assert "pose model /nowhere/pose.tflite does not exist" in capsys.readouterr().err
    not_a_pose_model = ROOT.parent / "shared" / "models" / "mediapipe_selfie_segmentation_256x256.tflite"
    if not_a_pose_model.is_file():
        assert main([*base, "-S", "pose.backend=blazepose", "-S", f"pose.blazepose.model={not_a_pose_model}",
                     "--out", str(tmp_path / "a")]) == 1
        assert "is not the BlazePose landmark model" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()

    params = with_source(tiny_params(), dataset_copy)
    np.save(dataset_copy / "pose" / "val_000.npy", np.zeros((3, K, 3), np.float32))  # not one row per frame
    copied = ingest(params.ingest, tmp_path / "store").out
    copied_masks = generate_masks(params.masks, copied, tmp_path / "masks", source=str(dataset_copy)).out
    with pytest.raises(McatError, match=r"val_000.npy holds float32 \[3, 13, 3\], not float32 \[\d+, 13, 3\]"):
        estimate_pose(params.pose, copied, copied_masks, tmp_path / "b", source=str(dataset_copy))

    manifest = (dataset_copy / "manifest.csv").read_text().splitlines()
    column = manifest[0].split(",").index("pose")
    without = [",".join(c for i, c in enumerate(line.split(",")) if i != column) for line in manifest]
    (dataset_copy / "manifest.csv").write_text("\n".join(without) + "\n")
    copied = ingest(params.ingest, tmp_path / "store2").out
    with pytest.raises(McatError, match="recording train_000 has no provided keypoints.*pose.backend=blazepose"):
        estimate_pose(params.pose, copied, copied_masks, tmp_path / "c", source=str(dataset_copy))


def test_the_gate_fails_a_recording_where_nobody_is_found(dataset_copy, tmp_path, capsys):
    """Keypoints that find nobody in a recording are reported like empty masks: a critical failure naming it."""
    exact = np.load(dataset_copy / "pose" / "val_000.npy")
    np.save(dataset_copy / "pose" / "val_000.npy", np.zeros_like(exact))  # the person never seen
    common = ["--preset", "tiny", "-S", f"ingest.source={dataset_copy}"]
    store, masks, pose = (str(tmp_path / name) for name in ("store", "masks", "pose"))
    assert main(["ingest", *common, "--out", store]) == 0
    assert main(["masks", *common, "--store", store, "--out", masks]) == 0
    assert main(["pose", *common, "--store", store, "--masks", masks, "--out", pose]) == 0
    assert main(["validate", *common, "--store", store, "--masks", masks, "--reports", str(tmp_path / "ok")]) == 0
    capsys.readouterr()
    assert main(["validate", *common, "--store", store, "--masks", masks, "--pose", pose,
                 "--reports", str(tmp_path / "gate")]) == 1
    err = capsys.readouterr().err
    assert "val_000: expect_column_values_to_be_between(pose_empty_ratio) observed pose_empty_ratio=1" in err
    assert "train_000" not in err and (tmp_path / "gate" / "report.html").is_file()


def test_keypoints_between_estimated_frames_are_interpolated_linearly():
    """Every 2nd frame estimated (0, 2, 4): frame 1 is the mean of 0 and 2, a joint unseen at either end stays
    unseen, frame 5 (after the last estimate) repeats frame 4; every frame estimated: unchanged."""
    rng = np.random.default_rng(0)
    poses = [rng.uniform(0.1, 0.9, (K, 3)).astype(np.float32) for _ in range(3)]
    poses[1][0] = 0  # joint 0 unseen in frame 2
    out = interpolated([poses[0], None, poses[1], None, poses[2], None], every=2)
    assert out.shape == (6, K, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out[[0, 2, 4]], np.stack(poses))
    np.testing.assert_allclose(out[1, 1:], (poses[0][1:] + poses[1][1:]) / 2, rtol=1e-6)
    np.testing.assert_allclose(out[3, 1:], (poses[1][1:] + poses[2][1:]) / 2, rtol=1e-6)
    assert not out[1, 0].any() and not out[3, 0].any()  # unseen at one end
    np.testing.assert_array_equal(out[5], poses[2])
    np.testing.assert_array_equal(interpolated(poses, every=1), np.stack(poses))
