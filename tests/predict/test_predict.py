"""``mcat predict`` on rendered videos: reports, the segment timeline, and clean failures."""

import csv
import dataclasses
import json
import shutil

import cv2
import numpy as np
import pytest
import torch

from mcat.cli import main
from mcat.data.dataset import WindowDataset
from mcat.data.framewise import read_label_csv
from mcat.data.windowing import window_starts
from mcat.data.store import MaskStore, Store
from mcat.inference import ClipsOnly
from mcat.modelfile import load_model_file
from mcat.predict.stage import classify, predict
from mcat.predict.timeline import frame_labels, frames_of, merge_short, runs, segment_scores
from mcat.windows.stage import make_windows

from conftest import ROOT, SELFIE_MODELS, leftovers, tiny_params


def test_the_timeline_recovers_the_segments_of_a_learned_recording(tiny_store, tiny_trained):
    """On a recording the tiny model has learned (its training split), with the masks it was trained on, the
    merged timeline finds the true exercise segments: this checks windows → frames → segments end to end.
    Accuracy under the speed shift and with a real segmenter is measured by bench/predict_bench.py."""
    store, masks_dir = (Store(tiny_store[0]), MaskStore(tiny_store[1]))
    frames = np.asarray(store.frames("train_000"))
    model = load_model_file(tiny_trained[2] / "model.pt")
    starts, probs = classify(model, frames, np.asarray(masks_dir.masks("train_000", frames.shape)), 32,
                             torch.device("cpu"))
    per_frame = frame_labels(starts, probs.argmax(axis=1), len(frames), model.preprocessing.T,
                             model.preprocessing.stride)
    merged = frames_of(merge_short(runs(per_frame), 30))
    truth = np.asarray(store.labels("train_000"))
    scores = segment_scores(truth, merged)
    majority = np.bincount(truth).max() / len(truth)  # 0.39: what always answering the commonest class scores
    assert scores["frame_accuracy"] >= majority + 0.1, scores  # the tiny model learned something ...
    assert scores["frame_accuracy"] >= (per_frame == truth).mean() - 0.05, scores  # ... that merging keeps


def test_predict_cuts_each_window_as_the_model_was_trained(tiny_store, tiny_trained, tmp_path):
    """A model trained with ``windows.crop=person`` gets in ``mcat predict`` the very clips evaluation gives it;
    uncut, its windows are scored from each frame's tokens, encoded once, as from their clips."""
    whole = load_model_file(tiny_trained[2] / "model.pt")
    store, masks = Store(tiny_store[0]), MaskStore(tiny_store[1])
    frames = np.asarray(store.frames("train_000"))
    video = (frames, np.asarray(masks.masks("train_000", frames.shape)), 32, torch.device("cpu"))
    np.testing.assert_allclose(classify(whole, *video)[1],
                               classify(dataclasses.replace(whole, model=ClipsOnly(whole.model)), *video)[1], atol=1e-5)
    model = dataclasses.replace(whole, preprocessing=dataclasses.replace(whole.preprocessing, crop="person",
                                                                         crop_margin=0.15))
    windows = make_windows(tiny_params("windows.crop=person").windows, *tiny_store, tmp_path / "w").out
    dataset = WindowDataset(windows, "train", *tiny_store)
    mine = np.flatnonzero(np.asarray(dataset.recording_ids)[dataset.recording] == "train_000")
    with torch.inference_mode():
        expected = torch.softmax(model.model(torch.stack([dataset[int(i)][0] for i in mine])), dim=1).numpy()
    starts, probs = classify(model, *video)
    np.testing.assert_array_equal(starts, dataset.starts[mine])
    np.testing.assert_allclose(probs, expected, atol=1e-5)


def test_predict_runs_a_real_segmenter_over_a_video(tiny_dataset, tiny_trained, tmp_path):
    params = tiny_params("predict.mask_backend=background")
    [result] = predict(params.predict, str(tiny_trained[2] / "model.pt"), [tiny_dataset / "videos/train_000.mp4"], tmp_path,
                       masks=params.masks).videos
    truth = read_label_csv(tiny_dataset / "labels/train_000.csv", 4, "train_000")
    assert result.frames == len(truth) and result.probs.shape[1] == 4
    assert sum(s.end - s.start for s in result.segments) == len(truth)


def test_cli_predicts_a_folder_of_videos_with_reports(tiny_dataset, tiny_trained, tmp_path, capsys):
    videos = tmp_path / "videos"
    videos.mkdir()
    for rid in ("test_000", "val_000"):
        shutil.copy(tiny_dataset / f"videos/{rid}.mp4", videos)
    (videos / "notes.txt").write_text("not a video, skipped by its suffix")
    out = tmp_path / "predictions"
    code = main(["predict", str(videos), "--model", str(tiny_trained[2] / "model.pt"), "--out", str(out), "--annotate",
                 "--labels", str(tiny_dataset / "labels"), "--preset", "tiny", "-S", "predict.mask_backend=selfie",
                 *SELFIE_MODELS])
    assert code == 0
    said = capsys.readouterr().out
    assert said.count("x real time") == 2 and said.count("frame accuracy") == 2 and said.count(": mostly ") == 2
    for rid in ("test_000", "val_000"):
        folder = out / rid
        n = len(read_label_csv(tiny_dataset / f"labels/{rid}.csv", 4, rid))
        rows = list(csv.DictReader((folder / "windows.csv").open()))
        assert [int(r["start_frame"]) for r in rows] == window_starts(n, 16, 8).tolist()
        windows = json.loads((folder / "windows.json").read_text())
        assert all(abs(sum(w["probabilities"].values()) - 1) < 1e-3 for w in windows)
        assert [w["class"] for w in windows] == [r["class"] for r in rows]
        timeline = json.loads((folder / "segments.json").read_text())
        probs = np.array([list(w["probabilities"].values()) for w in windows])
        exercise = timeline["exercise"]
        assert exercise["class"] != "non_activity" and exercise["class"] in windows[0]["probabilities"]
        assert exercise["mean_probability"] == pytest.approx(probs.mean(axis=0)[1:].max(), abs=1e-3)
        segments = timeline["segments"]
        assert segments[0]["start_s"] == 0 and segments[-1]["end_s"] == pytest.approx(n / 30, abs=1e-3)
        assert all(a["end_s"] == b["start_s"] and a["class"] != b["class"] for a, b in zip(segments, segments[1:]))
        assert sum(s["frames"] for s in segments) == n == timeline["frames"]
        truth = read_label_csv(tiny_dataset / f"labels/{rid}.csv", 4, rid)
        assert sum(s["frames"] for s in timeline["truth"]) == n and len(timeline["truth"]) == len(runs(truth))
        by_name = {name: i for i, name in enumerate(json.loads((folder / "windows.json").read_text())[0]["probabilities"])}
        predicted = np.concatenate([np.full(s["frames"], by_name[s["class"]]) for s in segments])
        assert timeline["scores"] == segment_scores(truth.astype(np.int64), predicted)
        assert (folder / "timeline.png").stat().st_size > 0
        annotated = cv2.VideoCapture(str(folder / "annotated.mp4"))
        assert int(annotated.get(cv2.CAP_PROP_FRAME_COUNT)) == n
        annotated.release()
    assert leftovers(out) == []


def test_a_file_that_is_not_a_video_fails_cleanly(tiny_trained, tmp_path, capsys):
    fake = tmp_path / "workout.mp4"
    fake.write_text("this is not a video")
    out = tmp_path / "predictions"
    code = main(["predict", str(fake), "--model", str(tiny_trained[2] / "model.pt"), "--out", str(out),
                 "--preset", "tiny", "-S", "predict.mask_backend=background"])
    [error] = capsys.readouterr().err.strip().splitlines()  # checked before anything else is said or written
    assert code == 1 and error.startswith("mcat predict: error:") and "OpenCV cannot open this as a video" in error
    assert not (out / "workout").exists() and leftovers(out) == []


@pytest.mark.parametrize("problem, message", [
    ("empty folder", "holds no video"),
    ("missing model", "does not exist"),
    ("one label file, two videos", "is one file for 2 videos: pass a folder"),
    ("no label file for a video", "has no label file test_000.csv (test_000.mp4)"),
    ("labels of another video", "its labels have 300 rows but the video has"),
    ("a label id the model lacks", "label 7 at frame 0"),
])
def test_bad_inputs_say_what_is_wrong(problem, message, tiny_dataset, tiny_trained, tmp_path, capsys):
    video, model = tiny_dataset / "videos/test_000.mp4", tiny_trained[2] / "model.pt"
    more = []
    if problem == "empty folder":
        (video := tmp_path / "empty").mkdir()
    elif problem == "missing model":
        model = tmp_path / "nothing.pt"
    elif problem == "one label file, two videos":
        more = [str(tiny_dataset / "videos/val_000.mp4"), "--labels", str(tiny_dataset / "labels/test_000.csv")]
    elif problem == "no label file for a video":
        more = ["--labels", str(tmp_path)]
    else:
        labels = tmp_path / "labels.csv"
        n = len(read_label_csv(tiny_dataset / "labels/test_000.csv", 4, "test_000"))
        rows = n + 45 if problem == "labels of another video" else 2
        labels.write_text("frame,label\n" + "".join(f"{i},{7 if rows == 2 else 0}\n" for i in range(rows)))
        message = message.replace("300", str(n + 45))
        more = ["--labels", str(labels)]
    out = tmp_path / "out"
    code = main(["predict", str(video), *more, "--model", str(model), "--out", str(out), "--preset", "tiny",
                 "-S", "predict.mask_backend=background"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and message in err and "\n" not in err, err
    assert not out.exists() or leftovers(out) == [] and not any(out.iterdir())


def test_without_model_predict_uses_the_demo_model_and_says_so(tiny_dataset, tiny_trained, tmp_path, monkeypatch,
                                                                 capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'none.db'}")  # no registry here
    video = str(tiny_dataset / "videos/val_000.mp4")
    args = ["predict", video, "--params", str(ROOT / "params.yaml"), "--preset", "tiny", "-S",
            "predict.mask_backend=background"]
    assert main(args) == 1
    assert "no model to predict with" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()  # looking did not create a registry
    (tmp_path / "models").mkdir()
    shutil.copy(tiny_trained[2] / "model.pt", tmp_path / "models/model.pt")
    assert main(args) == 0
    assert "using models/model.pt" in capsys.readouterr().err
    assert (tmp_path / "reports/predictions/val_000/segments.json").is_file()


def test_clip_labels_score_each_videos_main_exercise(tiny_dataset, tiny_trained, tmp_path, capsys):
    """``--clip-labels`` scores every video's main exercise (the answer segments.json leads with) against the one
    exercise its row names, however the row spells the video (file name or stem) and the exercise (case, spaces)."""
    videos = tmp_path / "clips"
    videos.mkdir()
    rids = ("test_000", "val_000", "train_000")
    for rid in rids:
        shutil.copy(tiny_dataset / f"videos/{rid}.mp4", videos)
    labels = tmp_path / "clips.csv"
    labels.write_text("video,exercise\ntest_000.mp4,Bicep Curls\nval_000,bicep_curls\ntrain_000.mp4,squats\n")
    out = tmp_path / "predictions"
    code = main(["predict", str(videos), "--model", str(tiny_trained[2] / "model.pt"), "--out", str(out),
                 "--clip-labels", str(labels), "--preset", "tiny", "-S", "predict.mask_backend=background"])
    assert code == 0
    truth = {"test_000": "bicep_curls", "val_000": "bicep_curls", "train_000": "squats"}
    answers = {rid: json.loads((out / rid / "segments.json").read_text())["exercise"]["class"] for rid in rids}
    right = sum(answers[rid] == truth[rid] for rid in rids)
    rows = {r["video"]: r for r in csv.DictReader((out / "clips.csv").open())}
    assert {(v, r["exercise"], r["predicted"], r["right"]) for v, r in rows.items()} == {
        (f"{rid}.mp4", truth[rid], answers[rid], str(int(answers[rid] == truth[rid]))) for rid in rids}
    summary = json.loads((out / "clips.json").read_text())
    assert summary["model"] == str(tiny_trained[2] / "model.pt")
    assert (summary["clips"], summary["right"]) == (3, right) and summary["accuracy"] == pytest.approx(right / 3)
    low, high = summary["interval95"]
    assert 0 <= low <= right / 3 <= high <= 1 and high - low > 0.4  # three clips say little, and the interval shows it
    assert summary["chance"] == pytest.approx(1 / 3)  # three exercises (non_activity is never an answer)
    assert summary["answered"] == {name: list(answers.values()).count(name)
                                   for name in ("squats", "jumping_jacks", "bicep_curls")}
    per_exercise = summary["per_exercise"]
    assert per_exercise["bicep_curls"]["clips"] == 2 and per_exercise["jumping_jacks"]["recall"] is None
    assert np.array(summary["confusion"]["counts"]).sum() == 3 and (out / "clips_confusion.png").stat().st_size > 0
    assert f"{right} of 3 clips named right" in capsys.readouterr().out
    assert leftovers(out) == []


@pytest.mark.parametrize("rows, message", [
    ("video,exercise\ntest_000.mp4,planks\n", "line 2: the model does not know the exercise 'planks'; it knows squats"),
    ("video,exercise\ntest_000.mp4,non_activity\n", "does not know the exercise 'non_activity'"),
    ("video,exercise\nother.mp4,squats\n", "names video 'other.mp4', which is not among the 1 videos"),
    ("video,exercise\ntest_000.mp4,squats\ntest_000,squats\n", "line 3: test_000.mp4 has a label already"),
    ("video,exercise\n", "has no row for test_000.mp4"),
    ("clip,label\ntest_000.mp4,squats\n", "lacks column(s) video, exercise"),
])
def test_bad_clip_labels_say_what_is_wrong_before_anything_is_written(rows, message, tiny_dataset, tiny_trained,
                                                                      tmp_path, capsys):
    labels = tmp_path / "clips.csv"
    labels.write_text(rows)
    out = tmp_path / "out"
    code = main(["predict", str(tiny_dataset / "videos/test_000.mp4"), "--clip-labels", str(labels), "--model",
                 str(tiny_trained[2] / "model.pt"), "--out", str(out), "--preset", "tiny",
                 "-S", "predict.mask_backend=background"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and message in err and "\n" not in err, err
    assert not out.exists()


def test_two_videos_of_one_name_would_overwrite_each_other_and_are_refused(tiny_dataset, tiny_trained, tmp_path,
                                                                           capsys):
    (tmp_path / "a").mkdir()
    shutil.copy(tiny_dataset / "videos/test_000.mp4", tmp_path / "a")
    out = tmp_path / "out"
    code = main(["predict", str(tmp_path / "a"), str(tiny_dataset / "videos/test_000.mp4"), "--model",
                 str(tiny_trained[2] / "model.pt"), "--out", str(out), "--preset", "tiny",
                 "-S", "predict.mask_backend=background"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "would both write test_000/" in err and "\n" not in err, err
    assert not out.exists()
