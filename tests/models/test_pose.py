"""The pose stream's frames: in the body frame, where the camera puts the person and how large does not reach the
model; in the image frame it does. Both export to ONNX as they score in torch."""

import numpy as np
import onnxruntime as ort
import pytest
import torch

from mcat.errors import McatError
from mcat.models import build
from mcat.models.export import export_onnx
from mcat.models.pose import in_the_body_frame

from .conftest import SMALL, random_clips, random_pose


def moved(pose: torch.Tensor, shift: tuple[float, float], scale: float) -> torch.Tensor:
    """The same joints filmed from further away and elsewhere in the frame; joints not seen stay (0, 0, 0)."""
    out = pose.clone()
    out[..., :2] = (pose[..., :2] * scale + torch.tensor(shift)) * (pose[..., 2:] > 0)
    return out


def test_the_body_frame_is_centred_and_of_unit_size():
    pose = random_pose(3, t=5, seed=1)
    points, seen = in_the_body_frame(pose), pose[..., 2] > 0
    for clip in range(3):
        joints = points[clip][seen[clip]]
        torch.testing.assert_close(joints.mean(dim=0), torch.zeros(2), atol=1e-6, rtol=0)
        torch.testing.assert_close(joints.square().sum(dim=1).mean(), torch.tensor(1.0))
    assert (points[~seen] == 0).all()


def test_a_clip_where_nobody_is_seen_gives_zeros():
    pose = random_pose(2, t=4)
    pose[1] = 0
    points = in_the_body_frame(pose)
    assert torch.isfinite(points).all() and (points[1] == 0).all()


@pytest.mark.parametrize("frame, invariant", [("body", True), ("image", False)])
def test_only_the_body_frame_ignores_where_and_how_large_the_person_is(frame, invariant):
    model = build("mcat", "mask+pose", 5, **SMALL, pose_frame=frame).eval()
    clips, pose = random_clips(2, t=4), random_pose(2, t=4)
    with torch.no_grad():
        here, afar = model(clips, pose), model(clips, moved(pose, (0.3, 0.1), 0.4))
    assert torch.allclose(here, afar, atol=1e-5) == invariant


def test_the_body_frame_keeps_the_motion_within_the_clip():
    model = build("mcat", "pose", 5, **SMALL, pose_frame="body").eval()
    pose = random_pose(1, t=4)
    still = pose.clone()
    still[:, 1:] = pose[:, :1]
    with torch.no_grad():
        assert not torch.allclose(model(random_clips(1, t=4), pose), model(random_clips(1, t=4), still), atol=1e-3)


def test_the_body_frame_exports_to_onnx(tmp_path):
    model = build("mcat", "mask+pose", 5, **SMALL, pose_frame="body").eval()
    path = export_onnx(model, (random_clips(2, t=16), random_pose(2, t=16)), tmp_path / "m.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    clips, pose = random_clips(3, t=16, seed=4), random_pose(3, t=16, seed=4)
    pose[2] = 0
    logits = session.run(["logits"], {"clips": clips.numpy(), "pose": pose.numpy()})[0]
    with torch.no_grad():
        np.testing.assert_allclose(logits, model(clips, pose).numpy(), atol=1e-4, rtol=1e-4)


def test_an_unknown_pose_frame_names_the_choices():
    with pytest.raises(McatError, match="pose_frame must be one of .*'image', 'body'"):
        build("mcat", "mask+pose", 5, pose_frame="world")


def test_a_pose_frame_for_a_model_without_keypoints_is_refused():
    with pytest.raises(McatError, match="input mode 'both' reads none"):
        build("mcat", "both", 5, pose_frame="body")
