"""Resampling in time is exact: a known pattern at a known factor gives the known frames, and labels follow."""

import json

import numpy as np
import pytest

from mcat.atomic import write_csv
from mcat.data.store import RECORDING_COLUMNS, MaskStore, Store, write_classes
from mcat.speedtest.resample import ResampledWindows, speed_positions


def test_positions_at_known_factors():
    assert speed_positions(10, 2).tolist() == [0, 2, 4, 6, 8]
    assert speed_positions(10, 1).tolist() == list(range(10))
    assert speed_positions(9, 3).tolist() == [0, 3, 6]
    assert speed_positions(10, 1.5).tolist() == [0, 2, 3, 5, 6, 8, 9]  # round(k * 1.5), half up
    assert speed_positions(4, 0.5).tolist() == [0, 1, 1, 2, 2, 3, 3]  # slower: frames repeat
    with pytest.raises(ValueError, match="positive"):
        speed_positions(10, 0)


@pytest.fixture
def pattern_store(tmp_path):
    """One recording of 40 frames whose pixels, mask and label all carry the frame number."""
    n, rid = 40, "rec"
    (tmp_path / "store" / rid).mkdir(parents=True)
    frames = np.repeat(np.arange(n, dtype=np.uint8)[:, None, None], 4, 1).repeat(4, 2)
    np.save(tmp_path / "store" / rid / "frames.npy", frames)
    np.save(tmp_path / "store" / rid / "labels.npy", (np.arange(n) % 5).astype(np.int16))
    (tmp_path / "store" / rid / "meta.json").write_text(json.dumps({}))
    write_classes(tmp_path / "store" / "classes.csv", [f"c{i}" for i in range(5)])
    write_csv(tmp_path / "store" / "recordings.csv", RECORDING_COLUMNS, [[rid, "test", "fast", "s", 30, n, "", "", "", ""]])
    (tmp_path / "masks").mkdir()
    np.save(tmp_path / "masks" / f"{rid}.npy", (frames % 2).astype(np.uint8))
    return Store(tmp_path / "store"), MaskStore(tmp_path / "masks")


def test_windows_of_a_faster_recording_hold_the_known_frames(pattern_store):
    store, masks = pattern_store
    windows = ResampledWindows(store, masks, ["rec"], factor=2, T=4, stride=2)
    # 40 frames at 2x → 20 positions 0, 2, ..., 38 → windows start at 0, 2, ..., 16 of those
    assert len(windows) == 9
    clip, label = windows[1]
    assert clip[0, :, 0, 0].tolist() == [4, 6, 8, 10]  # positions 2..5 → frames 4, 6, 8, 10
    assert clip[1, :, 0, 0].tolist() == [0, 0, 0, 0]  # the masks of those frames (even: 0)
    assert label == 8 % 5  # the centre (T // 2 = 2nd) frame's label: frame 8
    assert windows.labels.tolist() == [(4 * k + 4) % 5 for k in range(9)]


def test_a_recording_too_short_at_a_factor_gives_no_window(pattern_store):
    store, masks = pattern_store
    assert len(ResampledWindows(store, masks, ["rec"], factor=14, T=4, stride=2)) == 0  # 3 positions



def test_each_clip_is_cut_as_the_model_was_trained(pattern_store):
    store, masks = pattern_store
    whole = ResampledWindows(store, masks, ["rec"], factor=2, T=4, stride=2)
    cut = ResampledWindows(store, masks, ["rec"], factor=2, T=4, stride=2, crop=lambda clip: 255 - clip[:, :, 1:3])
    for i in range(len(whole)):
        np.testing.assert_array_equal(cut[i][0].numpy(), 255 - whole[i][0].numpy()[:, :, 1:3])
