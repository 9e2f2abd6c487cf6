"""The benchmarks stay runnable (tiny sizes; no timing is asserted)."""

import csv
import subprocess
import sys

import cv2
import numpy as np

from conftest import ROOT
from mcat.cli import main
from mcat.data.framewise import read_classes, read_label_csv
from mcat.predict.timeline import runs


def run(*args: str) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_data_bench_runs():
    out = run("bench/data_bench.py", "--preset", "tiny", "--recordings", "1")
    assert "ratio to raw decode" in out and "clips/s" in out and "one masks pod, selfie backend" in out
    assert "at 60 fps" in out and "only the clock's:" in out and "the same frames" in out


def test_models_bench_runs():
    out = run("bench/models_bench.py", "--resolution", "32", "--batch", "2", "--steps", "1", "--models", "mcat,tcn")
    assert "matmul" in out and "mcat" in out and "tcn" in out and "channels_last" in out


def test_step_profile_runs():
    out = run("bench/step_profile.py", "--resolution", "32", "--batch", "2", "--steps", "1")
    assert "convolutions (encoders)" in out and "AdamW step" in out and "clips/s" in out


def test_export_bench_runs(tiny_windows, tiny_trained):
    windows, store, masks = tiny_windows
    out = run("bench/export_bench.py", "--model", str(tiny_trained[2] / "model.pt"), "--windows", str(windows),
              "--store", str(store), "--masks", str(masks), "--clips", "4", "--variants", "onnx-int8 dynamic")
    assert "fp32 model.pt" in out and "batch norms kept" in out and "onnx-int8 dynamic" in out and "torchscript" not in out


def test_masks_bench_runs():
    out = run("bench/masks_bench.py", "--recordings", "1", "--frames", "16", "--backends",
              "background,yolo,selfie:litert,selfie:litert:whole:general", "--phone-sizes", "320x240")
    assert "background" in out and "per-frame model(frame) loop" in out and "selfie:litert:whole:general" in out
    assert out.count(" frames/s, IoU ") >= 4  # per frame shape, each backend
    assert "selfie at 320x240: full-size masks fitted after" in out and "fitted by the segmenter" in out


def test_predict_bench_runs(tiny_dataset, tiny_trained):
    out = run("bench/predict_bench.py", "--model", str(tiny_trained[2] / "model.pt"), "--data", str(tiny_dataset),
              "--backends", "background,exact", "--tempo-averaging", "1;1,0.5", "--decode", "before,now",
              "--upscale", "2", "--source-fps", "60")
    assert "x real time" in out and "segment acc" in out and "exact" in out and "sets as clips: " in out
    assert "nan" not in out and "re-encoded 2x larger (128x96) at 60 fps" in out
    assert out.count("tempo averaging 1,0.5, ") == 4 and out.count("tempo averaging 1, ") == 4
    rows = [line.split(" real time ")[0].rsplit(" ", 1)[0] + line.split("   mask IoU")[1]
            for line in out.splitlines() if " real time " in line]
    before = [r.replace(", decoding before", "") for r in rows if ", decoding before" in r]
    assert len(before) == 4 and before == [r.replace(", decoding now", "") for r in rows if ", decoding now" in r]


def test_tempo_averaging_bench_runs(tiny_windows, tiny_trained, tmp_path):
    _, store, masks = tiny_windows
    out = run("bench/tempo_averaging_bench.py", str(tiny_trained[2] / "model.pt"), str(tiny_trained[2] / "model.pt"),
              "--store", str(store), "--masks", str(masks), "--sets", "1;1,0.5", "--factors", "1,2",
              "--work", str(tmp_path))
    assert "| 1, 0.5 |" in out and "paired, 1, 0.5 − 1" in out and (tmp_path / "bench.json").is_file()


def test_malloc_bench_runs():
    out = run("bench/malloc_bench.py", "--resolution", "16", "--batch", "2", "--eval-batch", "2", "--steps", "1",
              "--rounds", "1")
    assert "train  glibc" in out and "eval   kept" in out and "x glibc" in out


def test_a_bench_given_a_bad_list_or_missing_data_says_so_in_one_line(tiny_trained, tmp_path):
    model = str(tiny_trained[2] / "model.pt")
    for args, message in (([model, "--factors", "1,x"], "argument --factors: '1,x' is not a comma-separated list"),
                          ([model, "--sets", "1;1,0"], "argument --sets: '1,0': every value must be > 0"),
                          ([str(tmp_path / "none.pt")], f"{tmp_path / 'none.pt'} is not a model file"),
                          ([model, "--store", str(tmp_path / "nowhere")], f"{tmp_path / 'nowhere'}/recordings.csv does not exist")):
        proc = subprocess.run([sys.executable, "bench/tempo_averaging_bench.py", *args, "--work", str(tmp_path / "work")],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
        assert message in proc.stderr.splitlines()[-1], proc.stderr


def test_sets_as_clips_cuts_every_set_into_a_clip_that_predict_scores(tiny_dataset, tiny_trained, tmp_path):
    out = tmp_path / "clips"
    said = run("bench/sets_as_clips.py", "--data", str(tiny_dataset), "--split", "test", "--context", "0.5", "--out",
               str(out))
    rows = list(csv.DictReader((out / "clips.csv").open()))
    labels = read_label_csv(tiny_dataset / "labels/test_000.csv", 4, "test_000").astype(np.int64)
    sets = [s for s in runs(labels) if s.label > 0]
    names = read_classes(tiny_dataset / "classes.csv")
    assert [(r["video"], r["exercise"]) for r in rows] == [(f"test_000_set{k}.mp4", names[s.label])
                                                           for k, s in enumerate(sets)]
    assert f"{len(sets)} sets of 1 test videos" in said
    for row, s in zip(rows, sets):  # the set and half a second (15 frames) either side, inside the video
        capture = cv2.VideoCapture(str(out / row["video"]))
        assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == min(s.end + 15, len(labels)) - max(s.start - 15, 0)
        capture.release()
    assert main(["predict", str(out), "--clip-labels", str(out / "clips.csv"), "--model",
                 str(tiny_trained[2] / "model.pt"), "--out", str(tmp_path / "scored"), "--preset", "tiny", "-S",
                 "predict.mask_backend=background"]) == 0
    assert len(list(csv.DictReader((tmp_path / "scored/clips.csv").open()))) == len(sets)
