import csv
import json

import numpy as np
import pytest

from mcat.config import WindowsParams
from mcat.data.windowing import window_labels, window_starts
from mcat.windows.stage import make_windows
from mcat.errors import McatError


def test_starts_never_cross_the_end():
    np.testing.assert_array_equal(window_starts(40, 16, 8), [0, 8, 16, 24])
    np.testing.assert_array_equal(window_starts(39, 16, 8), [0, 8, 16])
    np.testing.assert_array_equal(window_starts(16, 16, 8), [0])
    assert len(window_starts(15, 16, 8)) == 0
    np.testing.assert_array_equal(window_starts(20, 4, 5), [0, 5, 10, 15])


def test_label_is_the_centre_frame():
    labels = np.array([0] * 10 + [3] * 6 + [1] * 24)  # frames 10..15 are class 3
    starts = window_starts(len(labels), 16, 8)
    # centre frames 8, 16, 24 -> labels 0, 1, 1 (the 3s sit at the window edges only)
    np.testing.assert_array_equal(window_labels(labels, starts, 16), [0, 1, 1, 1])
    np.testing.assert_array_equal(window_labels(labels, np.array([2]), 16), [3])
    np.testing.assert_array_equal(window_labels(np.arange(10), np.array([0, 3]), 4), [2, 5])  # T even: start + 2


def test_windows_index_per_split_with_stats(tmp_path, tiny_store):
    store, masks = tiny_store
    result = make_windows(WindowsParams(T=16, stride=8, crop="none", crop_margin=0.15), store, masks, tmp_path / "w")
    stats = json.loads((tmp_path / "w/stats.json").read_text())
    assert set(result.windows) == {"train", "val", "test"}
    assert stats["windows"] == result.windows and stats["label_frame"] == 8
    assert result.kl_train_test == pytest.approx(stats["kl_train_test_nats"]) and result.kl_train_test > 0
    with open(tmp_path / "w/train.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == result.windows["train"]
    for row in rows[:50]:
        labels = np.load(store / row["recording_id"] / "labels.npy")
        start = int(row["start"])
        assert start + 16 <= len(labels) and int(row["label"]) == labels[start + 8]
    assert sum(stats["class_counts"]["train"]) == result.windows["train"]


def test_missing_masks_and_too_long_windows(tmp_path, tiny_store):
    store, masks = tiny_store
    with pytest.raises(McatError, match="run `mcat masks`"):
        make_windows(WindowsParams(T=16, stride=8, crop="none", crop_margin=0.15), store, tmp_path / "nomasks", tmp_path / "w")
    with pytest.raises(McatError, match="gets no window.*fewer than windows.T=1000"):
        make_windows(WindowsParams(T=1000, stride=8, crop="none", crop_margin=0.15), store, masks, tmp_path / "w")
    assert not (tmp_path / "w").exists()
