"""One clock and an aspect-preserving fit: exact on known patterns."""

import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from mcat.data.framing import Framing
from mcat.data.video import _bgr, bgr_batches, fit_probabilities, gray_frame, probe, read_frames, resize_masks
from mcat.errors import McatError


def test_pad_keeps_the_aspect_ratio_and_centres_the_picture():
    wide = np.full((30, 60), 200, np.uint8)  # 2:1 landscape
    out = gray_frame(wide, Framing(40, fit="pad"))
    assert out.shape == (40, 40)
    rows = np.flatnonzero(out.any(axis=1))
    assert (rows.min(), rows.max()) == (10, 29) and (out[10:30] == 200).all()  # 20 rows of picture, bars of 10
    tall = np.ones((60, 30), np.uint8)
    mask = resize_masks(tall[None], Framing(40, fit="pad"))[0]
    cols = np.flatnonzero(mask.any(axis=0))
    assert (cols.min(), cols.max()) == (10, 29) and mask.sum() == 40 * 20
    assert (gray_frame(wide, Framing(40, fit="stretch")) == 200).all()


def test_a_circle_stays_a_circle_in_any_frame_shape():
    for h, w in ((90, 160), (160, 90), (120, 120)):
        img = np.zeros((h, w), np.uint8)
        cv2.circle(img, (w // 2, h // 2), min(h, w) // 3, 255, -1)
        out = resize_masks(img[None], Framing(64))[0]
        ys, xs = np.nonzero(out)
        assert abs((ys.max() - ys.min()) - (xs.max() - xs.min())) <= 1, (h, w)


@pytest.mark.parametrize("source_fps, expected", [
    (60.0, [0, 2, 4, 6, 8]),  # twice as many frames: every other one
    (30.0, [0, 1, 2, 3, 4]),  # already on the clock
    (15.0, [0, 1, 1, 2, 2]),  # half as many: each shown twice (j * 0.5 rounded half up)
    (24.0, [0, 1, 2, 2, 3]),
])
def test_the_clock_takes_the_frames_nearest_in_time(source_fps, expected):
    framing = Framing(32, fps=30.0)
    assert framing.positions(200, source_fps)[:5].tolist() == expected
    positions = framing.positions(10, source_fps)
    assert positions.max() < 10 and (np.diff(positions) >= 0).all()
    assert framing.clock_frames(10, source_fps) == len(positions)
    assert len(positions) == pytest.approx(10 * 30.0 / source_fps, abs=1)


@pytest.mark.parametrize("source_fps", [60.0, 30.0, 24.0])
def test_decoding_on_the_clock_gives_the_positions_frames(tmp_path, source_fps):
    """Frames skipped (60 fps), kept (30) and repeated (24) on the clock, one by one and in batches: each batch its
    own array (the pose thread still reads one while the next is decoded), the last one shorter."""
    path = tmp_path / "count.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), source_fps, (32, 24))
    for i in range(20):
        writer.write(np.full((24, 32, 3), i * 12, np.uint8))  # frame i has brightness 12 i
    writer.release()
    framing = Framing(32, fps=30.0)
    expected = framing.positions(20, source_fps).tolist()
    assert [int(round(f.mean() / 12)) for f in read_frames(path, step=framing.step(source_fps))] == expected
    batches = list(bgr_batches(path, 4, step=framing.step(source_fps)))
    assert [len(b) for b in batches] == [4] * (len(expected) // 4) + [len(expected) % 4] * (len(expected) % 4 > 0)
    assert all(b.shape[1:] == (24, 32, 3) for b in batches)
    assert [int(round(f.mean() / 12)) for b in batches for f in b] == expected
    limited = list(bgr_batches(path, 4, limit=6, step=framing.step(source_fps)))
    assert [int(round(f.mean() / 12)) for b in limited for f in b] == expected[:6]


def test_a_phone_video_stored_sideways_is_read_upright(tmp_path):
    """Phones store a portrait video as landscape pixels and a rotation in the track header (the 'tkhd' matrix);
    probe's size and the decoded frames must both be upright, or masks, keypoints and crops land off the person."""
    sideways, rotated = tmp_path / "sideways.mp4", tmp_path / "rotated.mp4"
    writer = cv2.VideoWriter(str(sideways), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (64, 48))
    for _ in range(3):
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[:8, :16] = 255  # a mark at the stored picture's top left
        writer.write(frame)
    writer.release()
    data = bytearray(sideways.read_bytes())
    matrix = data.find(b"tkhd") + 4 + 40  # version 0: flags, times, track id and volume come before the matrix
    assert struct.unpack(">9i", data[matrix:matrix + 36]) == (65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30)
    data[matrix:matrix + 36] = struct.pack(">9i", 0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30)  # turned 90° clockwise
    rotated.write_bytes(bytes(data))
    info, frame = probe(rotated), next(read_frames(rotated))
    assert (info.width, info.height) == (48, 64) and frame.shape == (64, 48, 3)
    assert (next(bgr_batches(rotated, 2))[0] == frame).all()
    ys, xs = np.nonzero(frame[..., 0] > 128)
    assert ys.max() < 20 and xs.min() > 36  # the mark turned with the picture: now at the top right


@pytest.mark.parametrize("shown", [(192, 144), (1080, 1920), (1280, 720)])
@pytest.mark.parametrize("fit", ["pad", "stretch"])
def test_probabilities_read_at_the_fitted_pixels_threshold_to_the_fitted_full_size_mask(shown, fit):
    """fit_probabilities reads a segmenter's map where resize-to-frame, threshold and resize_masks would: the same
    mask without the frame-size map."""
    rng = np.random.default_rng(0)
    probability = cv2.GaussianBlur(rng.random((256, 256)).astype(np.float32), (0, 0), 6)
    probability = (probability - probability.min()) / (probability.max() - probability.min())
    framing = Framing(48, fit=fit)
    full = resize_masks((cv2.resize(probability, shown, interpolation=cv2.INTER_LINEAR) > 0.5)[None], framing)[0]
    direct = (fit_probabilities(probability, shown, framing) > 0.5).astype(np.uint8)
    assert 0 < full.sum() < full.size and (direct == full).mean() > 0.999


def test_a_frame_of_another_size_mid_video_is_a_one_line_error():
    """Batches are decoded straight into arrays of the first frame's size: a stream whose frames change size (an
    edited or spliced file) is refused with the fix, not a numpy traceback."""

    class Grabbed:  # a capture whose grabbed frame is 40×30 where the batch holds 32×24
        def retrieve(self, image=None):
            return True, np.zeros((30, 40, 3), np.uint8)

    with pytest.raises(McatError, match=r"spliced.mp4: the frame size changes from 32x24 to 40x30 .* re-encode"):
        _bgr(Grabbed(), Path("spliced.mp4"), np.empty((24, 32, 3), np.uint8))
