import torch

from mcat.config import AugmentParams
from mcat.train.augment import NOBODY_P, augment, pose_errors, segmenter_errors, to_float

PAPER = AugmentParams(hflip_p=0.5, crop_scale=(0.8, 1.0), crop_ratio=(0.9, 1.1), brightness=(0.8, 1.2),
                      contrast=(0.8, 1.2), tempo=(1.0, 1.0), mask_noise=0.0, pose_noise=0.0)
NONE = AugmentParams(hflip_p=0.0, crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), brightness=(1.0, 1.0),
                     contrast=(1.0, 1.0), tempo=(1.0, 1.0), mask_noise=0.0, pose_noise=0.0)


def silhouette_clips(batch=8, t=6, size=40, seed=0) -> torch.Tensor:
    """Gray = 255 where the mask is 1: any misalignment between the channels shows."""
    g = torch.Generator().manual_seed(seed)
    clips = torch.zeros(batch, 2, t, size, size, dtype=torch.uint8)
    for b in range(batch):
        y, x = torch.randint(2, size - 20, (2,), generator=g).tolist()
        h, w = torch.randint(8, 18, (2,), generator=g).tolist()
        clips[b, 1, :, y:y + h, x:x + w] = 1
        clips[b, 1, :, y:y + 3, x:x + w + 2] = 1  # asymmetric, so a flip is visible
    clips[:, 0] = clips[:, 1] * 255
    return clips


def test_masks_stay_binary_and_aligned_with_gray():
    out = augment(silhouette_clips(), PAPER.model_copy(update={"brightness": (1, 1), "contrast": (1, 1)}),
                  torch.Generator().manual_seed(1))[0]
    gray, mask = out[:, 0], out[:, 1]
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    person = gray > 0.5
    iou = (person & (mask > 0)).sum() / (person | (mask > 0)).sum()
    assert iou > 0.95


def test_one_draw_per_clip_for_all_frames():
    clips = silhouette_clips()  # every frame of a clip is the same
    out = augment(clips, PAPER, torch.Generator().manual_seed(2))[0]
    assert torch.equal(out[:, :, :1].expand_as(out), out)


def test_identity_params_change_nothing_and_flip_mirrors():
    clips = silhouette_clips()
    torch.testing.assert_close(augment(clips, NONE, torch.Generator().manual_seed(0))[0], to_float(clips))
    flipped = augment(clips, NONE.model_copy(update={"hflip_p": 1.0}), torch.Generator().manual_seed(0))[0]
    torch.testing.assert_close(flipped, to_float(clips).flip(-1))


def test_photometric_jitter_touches_gray_only_and_stays_in_range():
    clips = silhouette_clips()
    clips[:, 0] = torch.randint(0, 256, clips[:, 0].shape, dtype=torch.uint8)
    jitter = NONE.model_copy(update={"brightness": (0.5, 1.5), "contrast": (0.5, 1.5)})
    out = augment(clips, jitter, torch.Generator().manual_seed(3))[0]
    assert torch.equal(out[:, 1], clips[:, 1].float())
    assert not torch.allclose(out[:, 0], clips[:, 0].float() / 255)
    assert out[:, 0].min() >= 0 and out[:, 0].max() <= 1


def test_same_seed_same_draws():
    clips = silhouette_clips()
    a = augment(clips, PAPER, torch.Generator().manual_seed(5))[0]
    b = augment(clips, PAPER, torch.Generator().manual_seed(5))[0]
    c = augment(clips, PAPER, torch.Generator().manual_seed(6))[0]
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_segmenter_errors_only_where_asked_and_masks_stay_binary():
    mask = torch.zeros(64, 16, 32, 32)
    mask[:, :, 8:26, 10:22] = 1.0  # a person-sized block in every frame
    g = torch.Generator().manual_seed(0)
    assert torch.equal(segmenter_errors(mask, 0.0, g), mask)
    noisy = segmenter_errors(mask, 1.0, torch.Generator().manual_seed(0))
    assert set(noisy.unique().tolist()) <= {0.0, 1.0}
    area = noisy.sum(dim=(2, 3))  # [B, T]
    empty = (area == 0).float().mean().item()
    assert 0.01 < empty < 0.12  # ~5% of frames lose their mask
    full = mask[0, 0].sum()
    clip_max = area.max(dim=1).values
    assert (clip_max > full).any() and (clip_max < full).any()  # dilated and eroded clips
    assert ((area > 0) & (area < 0.8 * full)).any()  # missed parts
    again = segmenter_errors(mask, 1.0, torch.Generator().manual_seed(0))
    assert torch.equal(noisy, again)


def marked_joints(batch=16, t=4, size=48, seed=0) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips whose mask is one 4x4 patch per joint (a distinct gray level per joint, patches 10 px apart) and those
    joints [B, T, K, 3]: a joint that moves with the pixels stays on its patch."""
    from mcat.pose.joints import K

    g = torch.Generator().manual_seed(seed)
    clips = torch.zeros(batch, 2, t, size, size, dtype=torch.uint8)
    joints = torch.zeros(batch, t, K, 3)
    for b in range(batch):
        cells = torch.randperm(16, generator=g)[:K].tolist()  # 13 of a 4 x 4 grid of 10 px cells
        for k, cell in enumerate(cells):
            y, x = (4 + 10 * (cell // 4) + torch.randint(0, 3, (1,), generator=g).item(),
                    4 + 10 * (cell % 4) + torch.randint(0, 3, (1,), generator=g).item())
            clips[b, 1, :, y:y + 4, x:x + 4] = 1
            clips[b, 0, :, y:y + 4, x:x + 4] = 10 + 15 * k
            joints[b, :, k] = torch.tensor([(x + 2) / size, (y + 2) / size, 1.0])
    joints[:, :, 0] = 0  # the head unseen: it must stay (0, 0, 0)
    return clips, joints


def test_keypoints_move_with_the_crop_and_flip_and_swap_left_and_right():
    from mcat.pose.joints import JOINTS

    clips, joints = marked_joints()
    flip_all = PAPER.model_copy(update={"hflip_p": 1.0, "brightness": (1, 1), "contrast": (1, 1)})
    out, moved = augment(clips, flip_all, torch.Generator().manual_seed(3), joints)
    assert moved.shape == joints.shape
    assert (moved[:, :, 0] == 0).all()  # unseen stays unseen
    size, checked = clips.shape[-1], 0
    for b, t, k in (moved[..., 2] > 0).nonzero().tolist():
        x, y = (moved[b, t, k, :2] * size).long().clamp(0, size - 1).tolist()
        name = JOINTS[k]  # mirrored, a joint is the one of the other side before the flip
        source = JOINTS.index(name[:-1] + {"l": "r", "r": "l"}[name[-1]]) if name[-2:] in ("_l", "_r") else k
        assert out[b, 1, t, y, x] == 1, (b, t, k)
        assert abs(out[b, 0, t, y, x].item() * 255 - (10 + 15 * source)) < 8, (b, t, k)
        checked += 1
    assert checked > 0.8 * joints[..., 2].gt(0).sum()  # the crop keeps most joints; the rest became unseen
    none, same = augment(clips, NONE, torch.Generator().manual_seed(0), joints)
    torch.testing.assert_close(same, joints)


def standing_joints(batch=256, t=16) -> torch.Tensor:
    """Keypoints [B, T, K, 3] of a person 0.5 of the frame tall in its middle, every joint but the head seen."""
    from mcat.pose.joints import K

    joints = torch.zeros(batch, t, K, 3)
    joints[..., 0] = 0.4 + 0.2 * (torch.arange(K) % 2) / 1.0
    joints[..., 1] = 0.25 + 0.5 * torch.arange(K) / (K - 1)
    joints[..., 2] = 1.0
    joints[:, :, 0] = 0.0  # the head unseen
    return joints


def test_pose_errors_look_like_a_pose_models_and_only_where_asked():
    joints = standing_joints()
    assert torch.equal(pose_errors(joints, 0.0, torch.Generator().manual_seed(0)), joints)
    noisy = pose_errors(joints, 1.0, torch.Generator().manual_seed(0))
    assert torch.equal(noisy, pose_errors(joints, 1.0, torch.Generator().manual_seed(0)))
    assert (noisy[:, :, 0] == 0).all()  # unseen stays unseen
    nobody = (noisy[..., 2] == 0).all(dim=-1).float().mean().item()
    assert abs(nobody - NOBODY_P) < 0.03
    seen = noisy[..., 2] > 0
    assert ((noisy[..., :2] >= 0) & (noisy[..., :2] <= 1)).all(dim=-1)[seen].all()
    visibility = noisy[..., 2][seen]
    assert visibility.max() < 1 and 0.8 < visibility.median() < 1 and (visibility < 0.5).float().mean() > 0.05
    error = (noisy[..., :2] - joints[..., :2]).norm(dim=-1)[seen]  # in frame units; the person is 0.5 tall
    assert 0.02 < error.median() < 0.06 and error.quantile(0.9) > 0.08
    half = pose_errors(joints, 0.5, torch.Generator().manual_seed(1))
    clean = (half == joints).flatten(1).all(dim=1).float().mean().item()
    assert 0.35 < clean < 0.65


def test_pose_noise_off_draws_nothing():
    """pose_noise 0 takes no random numbers (a run without it ends as it did before the option existed); on, it
    does."""
    clips, joints = marked_joints()
    states = []
    for pose_noise, with_joints in ((0.0, False), (0.0, True), (0.5, True)):
        g = torch.Generator().manual_seed(4)
        augment(clips, PAPER.model_copy(update={"pose_noise": pose_noise}), g, joints if with_joints else None)
        states.append(g.get_state())
    assert torch.equal(states[0], states[1]) and not torch.equal(states[1], states[2])
