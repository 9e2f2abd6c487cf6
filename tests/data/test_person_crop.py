"""The person-centred crop: exact boxes and pixels on known patterns, the same clip at any scale and place."""

import numpy as np
import torch

from mcat.config import WindowsParams
from mcat.data.dataset import WindowDataset
from mcat.data.person_crop import joints_crop, person_box, person_crop, window_crop
from mcat.modelfile import Preprocessing
from mcat.windows.stage import make_windows

R = 48


def clip_with(boxes: list[tuple[int, int, int, int]], gray: int = 200) -> np.ndarray:
    """uint8 [2, T, R, R]: frame t's mask is the rectangle boxes[t] = (top, left, bottom, right), gray inside it."""
    clip = np.zeros((2, len(boxes), R, R), np.uint8)
    for t, (top, left, bottom, right) in enumerate(boxes):
        clip[1, t, top:bottom, left:right] = 1
        clip[0, t, top:bottom, left:right] = gray
    return clip


def test_the_box_is_the_union_of_the_window_squared_with_its_margin():
    masks = clip_with([(10, 20, 20, 26), (12, 22, 22, 28)])[1]  # union rows 10-21 (12), columns 20-27 (8)
    assert person_box(masks, 0.15) == (8, 16, 16)  # side 12 x 1.3 = 15.6 -> 16 around the centre (16, 24)
    assert person_box(masks, 0.0) == (10, 18, 12)
    tiny = clip_with([(30, 30, 32, 32)])[1]
    assert person_box(tiny, 0.15) == (25, 25, 12)  # never under a quarter of the frame: 12 px around (31, 31)
    assert person_box(np.zeros((4, R, R), np.uint8), 0.15) is None


def test_the_crop_is_exact_at_a_whole_scale_and_zero_outside_the_frame():
    clip = clip_with([(8, 16, 24, 32), (10, 18, 22, 30)])  # union 16 x 16 at (8, 16): margin 0 -> 3x
    out = person_crop(clip, 0.0)
    assert out.shape == clip.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[1], np.kron(clip[1][:, 8:24, 16:32], np.ones((3, 3), np.uint8)))
    np.testing.assert_array_equal(out[0][:, 1::3, 1::3], clip[0][:, 8:24, 16:32])  # block centres: source pixels
    corner = clip_with([(0, 0, 6, 6)])
    corner[0] = 255  # the whole frame bright: what lies outside it must still read as zero
    out = person_crop(corner, 0.0)  # box (-3, -3, 12): 3 of its 12 rows and columns lie outside the frame
    assert (out[1, :, :12, :] == 0).all() and (out[1, :, :, :12] == 0).all()  # 4x: 3 source px -> 12
    assert (out[0, :, :10, :] == 0).all() and (out[0, :, :, :10] == 0).all()  # gray: bilinear edge of 2 px
    assert (out[0, :, 14:, 14:] == 255).all() and (out[1, :, 12:36, 12:36] == 1).all() and out[1].sum() == 24 * 24


def test_a_person_small_or_large_anywhere_gives_the_same_clip():
    small = clip_with([(4, 30, 20, 38)])  # 16 x 8 near the top right
    large = clip_with([(14, 4, 46, 20)])  # 32 x 16 at the bottom left
    a, b = person_crop(small, 0.25)[1], person_crop(large, 0.25)[1]
    assert (a & b).sum() / (a | b).sum() > 0.95
    empty = np.zeros((2, 3, R, R), np.uint8)
    assert person_crop(empty, 0.25) is empty  # nothing to centre on: the whole frame


def test_the_crop_is_recorded_with_the_windows_and_the_model(tmp_path, tiny_store):
    store, masks = tiny_store
    windows = make_windows(WindowsParams(T=8, stride=8, crop="person", crop_margin=0.2), store, masks,
                           tmp_path / "w").out
    ds = WindowDataset(windows, "train", store, masks)
    clip, _ = ds[0]
    rid, start = ds.recording_ids[ds.recording[0]], int(ds.starts[0])
    whole = np.stack([np.load(store / rid / "frames.npy")[start:start + 8], np.load(masks / f"{rid}.npy")[start:start + 8]])
    assert torch.equal(clip, torch.from_numpy(person_crop(whole, 0.2)))
    assert not torch.equal(clip, torch.from_numpy(whole))  # the tiny dataset's person does not fill the frame
    pre = Preprocessing(R, 8, 8, 4, "provided", 30.0, "pad", ds.crop, ds.crop_margin)
    np.testing.assert_array_equal(pre.window_crop()(whole), person_crop(whole, 0.2))
    assert window_crop("none", 0.2)(whole) is whole


def test_keypoints_follow_the_person_crop_and_leave_when_outside_it():
    clip = clip_with([(8, 16, 24, 32), (10, 18, 22, 30)])  # box (8, 16, 16): 3x
    joints = np.zeros((2, 13, 3), np.float32)
    joints[:, 1] = [20 / R, 12 / R, 1.0]  # row 12, column 20: inside the box
    joints[:, 2] = [40 / R, 40 / R, 1.0]  # outside the box
    joints[:, 3] = [20 / R, 12 / R, 0.0]  # unseen
    moved = joints_crop("person", 0.0)(joints, clip[1])
    np.testing.assert_allclose(moved[:, 1], [[(20 - 16) / 16, (12 - 8) / 16, 1.0]] * 2, atol=1e-6)
    assert (moved[:, 2:] == 0).all()  # left the crop, or never seen: (0, 0, 0)
    x, y = (moved[0, 1, :2] * R).astype(int)
    assert person_crop(clip, 0.0)[1, 0, y, x] == 1  # on the person in the cut frame too
    assert joints_crop("none", 0.0)(joints, clip[1]) is joints
    assert joints_crop("person", 0.0)(joints, np.zeros_like(clip[1])) is joints  # no person: the whole frame
