"""Every (model, input mode, fusion): shapes, finite outputs and gradients; registry errors; pinned sizes."""

import subprocess
import sys

import pytest
import torch

from mcat.errors import McatError
from mcat.inference import prepare
from mcat.model_names import POSE_MODES, reads_frames, reads_pose
from mcat.models import FUSIONS, INPUT_MODES, MODELS, build, from_config

from .conftest import SMALL, SMALL_BY_MODEL, random_pose

IMAGE_MODES = [mode for mode in INPUT_MODES if not reads_pose(mode)]
CASES = [(name, mode, {}) for name in MODELS for mode in IMAGE_MODES if name != "mcat"]
CASES += [("mcat", mode, {"fusion": fusion}) for mode in IMAGE_MODES for fusion in FUSIONS]
CASES += [("mcat", mode, {}) for mode in POSE_MODES]


@pytest.mark.parametrize("name, mode, extra", CASES, ids=[f"{n}-{m}-{e.get('fusion', '')}" for n, m, e in CASES])
def test_forward_backward(name, mode, extra, clips):
    # in the layout training and inference use (channels_last once refused ViViT's 5-D Conv3d weights)
    model = prepare(build(name, mode, num_classes=5, **SMALL_BY_MODEL[name], **extra), torch.device("cpu"))
    logits = model(clips, random_pose(2, t=clips.shape[2])) if reads_pose(mode) else model(clips)
    assert logits.shape == (2, 5) and torch.isfinite(logits).all()
    logits.logsumexp(dim=1).sum().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname


@pytest.mark.parametrize("name, mode, extra", CASES, ids=[f"{n}-{m}-{e.get('fusion', '')}" for n, m, e in CASES])
def test_reads_frames_says_which_models_see_the_gray_frames(name, mode, extra, clips):
    """``mcat predict`` hands a model that reads masks only zeros for its gray frames instead of fitting a phone
    video's large frames: its logits must not depend on them, and a model that reads them must."""
    model = build(name, mode, num_classes=5, **SMALL_BY_MODEL[name], **extra).eval()
    pose = (random_pose(2, t=clips.shape[2]),) if reads_pose(mode) else ()
    no_frames = clips.clone()
    no_frames[:, 0] = 0
    with torch.no_grad():
        same = torch.equal(model(clips, *pose), model(no_frames, *pose))
    assert same != reads_frames(mode), (name, mode, extra)


def test_float_input_is_taken_as_normalised(clips):
    model = build("mcat", "both", 5, **SMALL).eval()
    as_float = torch.stack([clips[:, 0].float() / 255, clips[:, 1].float()], dim=1)
    torch.testing.assert_close(model(clips), model(as_float))


def test_config_round_trip(clips):
    model = build("tcn", "mask", 7, **SMALL_BY_MODEL["tcn"]).eval()
    again = from_config(model.config).eval()
    again.load_state_dict(model.state_dict())
    torch.testing.assert_close(model(clips), again(clips))


# Parameter counts of the paper's configuration (16/32/64 channels, d=256, H=8, FFN 1024, L=4) at C classes.
PINNED = {
    ("mcat", 17): 4_034_513,  # docs/architecture.md's 4.03 M; the paper quotes 4.0 M
    ("mcat", 11): 4_032_971,
    ("transformer", 11): 3_202_683,
    ("vivit", 11): 3_424_779,
    ("lstm", 11): 688_763,
    ("tcn", 11): 832_635,
    ("mlp", 11): 43_131,
}


@pytest.mark.parametrize("name, classes", sorted(PINNED))
def test_parameter_counts_are_pinned(name, classes):
    assert sum(p.numel() for p in build(name, "both", classes).parameters()) == PINNED[name, classes]


def test_depth_adds_one_block_per_layer():
    counts = [sum(p.numel() for p in build("mcat", "both", 17, depth=L).parameters()) for L in (2, 4, 6, 8)]
    assert counts == [2_454_993, 4_034_513, 5_614_033, 7_193_553]
    assert {b - a for a, b in zip(counts, counts[1:])} == {2 * 789_760}  # LN + MHSA + FFN per block


def test_registry_errors_name_the_choices():
    with pytest.raises(McatError, match="unknown model 'resnet'; choose one of mcat, mlp"):
        build("resnet")
    with pytest.raises(McatError, match="unknown input mode 'rgb'"):
        build("mcat", "rgb")
    with pytest.raises(McatError, match="model 'lstm' has no option\\(s\\) depth; its options: hidden=256"):
        build("lstm", depth=3)
    with pytest.raises(McatError, match="fusion must be one of"):
        build("mcat", fusion="sum")
    with pytest.raises(McatError, match="model 'tcn' reads no pose keypoints: input mode 'both\\+pose' is for mcat"):
        build("tcn", "both+pose")
    with pytest.raises(McatError, match="pose tokens join by cross-attention"):
        build("mcat", "mask+pose", fusion="add")


def test_models_import_with_torch_alone():
    code = ("import sys, mcat.models; heavy = {'mlflow', 'kfp', 'ultralytics', 'great_expectations', 'boto3', "
            "'cv2', 'pydantic', 'yaml', 'sklearn'} & set(sys.modules); assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
