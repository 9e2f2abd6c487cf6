"""Per-window classes to a per-frame timeline, merged segments, segment-level scores, and a video's one exercise."""

import numpy as np
import pytest

from mcat.predict.timeline import Segment, frame_labels, main_exercise, merge_short, runs, segment_scores


def test_each_window_speaks_for_the_frames_around_its_centre():
    # T 4, stride 2: windows start at 0, 2, 4 (centres 2, 4, 6); 9 frames.
    labels = frame_labels(np.array([0, 2, 4]), np.array([5, 6, 7]), 9, T=4, stride=2)
    assert labels.tolist() == [5, 5, 5, 6, 6, 7, 7, 7, 7]


def test_runs_and_merging_short_runs_into_the_longer_neighbour():
    labels = np.array([1] * 10 + [2] * 2 + [3] * 5 + [1] * 1)
    assert runs(labels) == [Segment(1, 0, 10), Segment(2, 10, 12), Segment(3, 12, 17), Segment(1, 17, 18)]
    assert merge_short(runs(labels), 3) == [Segment(1, 0, 12), Segment(3, 12, 18)]
    assert merge_short(runs(labels), 0) == runs(labels)
    assert merge_short([Segment(4, 0, 2)], 10) == [Segment(4, 0, 2)]


def test_merging_rejoins_equal_neighbours():
    labels = np.array([1] * 6 + [2] + [1] * 6)
    assert merge_short(runs(labels), 2) == [Segment(1, 0, 13)]


def test_segment_scores_count_recovered_segments():
    truth = np.array([0] * 10 + [1] * 10 + [2] * 10)
    assert segment_scores(truth, truth) == {"frame_accuracy": 1.0, "segment_accuracy": 1.0, "segment_recall": 1.0,
                                            "segment_precision": 1.0, "true_segments": 3, "predicted_segments": 3}
    shifted = np.array([0] * 12 + [1] * 10 + [2] * 8)  # every boundary 2 frames late
    scores = segment_scores(truth, shifted)
    assert scores["frame_accuracy"] == pytest.approx(26 / 30)
    assert scores["segment_accuracy"] == 1.0 and scores["segment_recall"] == 1.0
    wrong = np.array([0] * 10 + [2] * 20)
    scores = segment_scores(truth, wrong)
    assert scores["segment_accuracy"] == pytest.approx(2 / 3) and scores["segment_recall"] == pytest.approx(2 / 3)
    assert scores["segment_precision"] == 1.0  # the one predicted run of class 2 has IoU 0.5 with the true one


def test_segment_scores_need_equal_lengths():
    with pytest.raises(ValueError, match="3 true labels vs 2 predicted frames"):
        segment_scores(np.zeros(3, np.int64), np.zeros(2, np.int64))


NAMES = ["non_activity", "squats", "lunges", "pushups"]


def test_the_main_exercise_is_never_non_activity_and_weighs_every_window_by_its_probabilities():
    probs = np.array([[0.9, 0.05, 0.03, 0.02],  # a rest: non_activity, whatever its share, never wins
                      [0.8, 0.1, 0.05, 0.05],
                      [0.7, 0.2, 0.05, 0.05],
                      [0.1, 0.45, 0.0, 0.45],
                      [0.1, 0.0, 0.46, 0.44],   # lunges top this window only just; pushups second everywhere
                      [0.1, 0.0, 0.46, 0.44]], np.float32)
    main = main_exercise(probs, NAMES)
    assert (main.label, main.name) == (3, "pushups")  # top of no window, but the highest mean probability
    assert main.mean_probability == pytest.approx(probs[:, 3].mean())
    assert main.window_share == 0 and main.active_share == pytest.approx(0.5)
    assert main_exercise(probs[3:4], NAMES).label == 1  # a tie goes to the lower class id, as argmax does
