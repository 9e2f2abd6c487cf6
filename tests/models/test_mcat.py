"""The paper's model: the mask stream matters, the attention maps, learning through both streams."""

import pytest
import torch
from torch import nn

from mcat.models import build

from .conftest import SMALL, random_clips, random_pose


def test_zeroing_the_mask_changes_the_logits():
    model = build("mcat", "both", 5, **SMALL).eval()
    clips = random_clips(4)
    no_mask = clips.clone()
    no_mask[:, 1] = 0
    assert not torch.allclose(model(clips), model(no_mask), atol=1e-5)
    appearance_only = build("mcat", "both", 5, fusion="none", **SMALL).eval()
    torch.testing.assert_close(appearance_only(clips), appearance_only(no_mask))


def test_attention_maps_are_distributions_over_mask_tokens():
    model = build("mcat", "both", 5, **SMALL).eval()
    alpha = model.attention_maps(random_clips(3, t=6))
    assert alpha.shape == (3, SMALL["heads"], 6, 6)
    torch.testing.assert_close(alpha.sum(dim=-1), torch.ones(3, SMALL["heads"], 6))


def two_stream_task(n: int = 32, t: int = 4, size: int = 24, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips whose class needs both streams: label = 2·(gray is bright) + (mask is large).

    Gray frames are uniform (brightness only), masks are squares at random places; no noise to memorise.
    """
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 4
    clips = torch.zeros(n, 2, t, size, size, dtype=torch.uint8)
    for i, label in enumerate(labels.tolist()):
        clips[i, 0] = 200 if label >= 2 else 60
        side = 14 if label % 2 else 6
        y, x = torch.randint(0, size - side, (2,), generator=g).tolist()
        clips[i, 1, :, y:y + side, x:x + side] = 1
    return clips, labels


def train_accuracy(fusion: str, steps: int = 150) -> float:
    torch.manual_seed(0)
    clips, labels = two_stream_task()
    model = build("mcat", "both", 4, fusion=fusion, dropout=0.0, **{k: v for k, v in SMALL.items()})
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(clips), labels).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return (model(clips).argmax(dim=1) == labels).float().mean().item()


def test_overfits_a_task_that_needs_both_streams():
    assert train_accuracy("cross_attention") == 1.0
    # Without the mask stream half of the information is missing: at most chance within each brightness.
    assert train_accuracy("none") <= 0.6


def test_pose_tokens_are_keys_beside_the_mask_tokens_and_the_pose_mode_reads_no_pixels():
    clips, pose = random_clips(3, t=6), random_pose(3, t=6)
    model = build("mcat", "both+pose", 5, **SMALL).eval()
    alpha = model.attention_maps(clips, pose)
    assert alpha.shape == (3, SMALL["heads"], 6, 12)  # 6 mask tokens, then 6 pose tokens
    assert not torch.allclose(model(clips, pose), model(clips, random_pose(3, t=6, seed=1)), atol=1e-5)
    pose_only = build("mcat", "pose", 5, **SMALL).eval()
    torch.testing.assert_close(pose_only(clips, pose), pose_only(random_clips(3, t=6, seed=1), pose))
    assert not hasattr(pose_only, "encoder")  # no frame encoder to train
    with pytest.raises(ValueError, match="reads keypoints: call model\\(clips, pose\\)"):
        model(clips)
    with pytest.raises(ValueError, match="reads no keypoints"):
        build("mcat", "both", 5, **SMALL)(clips, pose)
    with pytest.raises(ValueError, match="expected keypoints \\[B, T, 13, 3\\]"):
        model(clips, pose[:, :, :5])


def pose_task(n: int = 32, t: int = 4, size: int = 24) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Identical clips whose class only the keypoints tell: label = which of 4 joints is raised above the head."""
    clips = random_clips(n, t=t, size=size)
    clips[:] = clips[0]
    labels = torch.arange(n) % 4
    pose = random_pose(n, t=t)
    pose[..., 1] = pose[..., 1] * 0.5 + 0.4  # every joint below y = 0.4 ...
    pose[..., 2] = 1.0
    pose[:, :, 0, 1] = 0.3  # ... the head at 0.3 ...
    pose[torch.arange(n), :, 3 + labels, 1] = 0.1  # ... and one joint (elbows, wrists) raised above it
    return clips, pose, labels


def test_keypoints_alone_learn_what_the_pixels_cannot_tell():
    clips, pose, labels = pose_task()
    accuracy = {}
    for mode in ("pose", "both"):
        torch.manual_seed(0)
        model = build("mcat", mode, 4, dropout=0.0, **SMALL)
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
        call = (lambda: model(clips, pose)) if mode == "pose" else (lambda: model(clips))
        for _ in range(100):
            opt.zero_grad()
            nn.functional.cross_entropy(call(), labels).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            accuracy[mode] = (call().argmax(dim=1) == labels).float().mean().item()
    assert accuracy["pose"] == 1.0 and accuracy["both"] <= 0.3


@pytest.mark.parametrize("mode, fusion", [("both", "cross_attention"), ("mask+pose", "cross_attention"),
                                          ("pose", "cross_attention"), ("both", "add"), ("both", "concat"),
                                          ("both", "none")])
def test_a_video_encoded_frame_by_frame_scores_each_window_as_its_clip_does(mode, fusion):
    """Prediction encodes every frame once and gathers each window's frame tokens (with test-time tempo averaging,
    each replay's): the logits are those of the windows' clips."""
    from mcat.inference import ClipsOnly, scores_by_frames
    from mcat.models.tempo import TempoAveraged

    model = TempoAveraged(build("mcat", mode, 5, fusion=fusion, **SMALL).eval(), 8, (1.0, 0.5)).eval()
    assert scores_by_frames(model) and scores_by_frames(model.network) and not scores_by_frames(ClipsOnly(model))
    assert not scores_by_frames(TempoAveraged(build("transformer", "both", 5, **SMALL), 8, (1.0, 0.5)))
    video, joints = random_clips(1, t=20), random_pose(1, t=20)[0]  # one video of 20 frames
    starts = torch.tensor([0, 4, 12])
    frames = starts[:, None] + torch.arange(8)  # [3 windows, T = 8]
    pose = [joints[frames]] if mode.endswith("pose") else []
    with torch.no_grad():
        tokens = model.frame_tokens(video)[0]  # [20, S, d]
        assert tokens.shape == (20, {"cross_attention": 2}.get(fusion, 1) if mode != "pose" else 0, SMALL["d"])
        from_clips = model(video[0][:, frames].movedim(1, 0), *pose)
        torch.testing.assert_close(model.from_frame_tokens(tokens[frames], *pose), from_clips, atol=1e-5, rtol=1e-4)
