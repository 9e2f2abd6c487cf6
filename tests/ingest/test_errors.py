"""Every bad input gets one clear line naming the recording and the fix, exit status 1, and no partial output."""

import json
import subprocess
import sys

import numpy as np

from mcat.cli import main

from conftest import ROOT, leftovers


def run_ingest(capfd, source, out, *extra):
    rc = main(["ingest", "--params", str(ROOT / "params.yaml"), "--preset", "tiny", "-S", f"ingest.source={source}",
               "--out", str(out), *extra])
    err = capfd.readouterr().err.strip()
    return rc, err


def assert_clean_failure(rc, err, out, *phrases):
    assert rc == 1
    assert "Traceback" not in err and "\n" not in err, err
    for phrase in phrases:
        assert phrase in err, err
    assert not (out / "recordings.csv").exists()
    assert not leftovers(out.parent)


def replace_line(path, index, new):
    lines = path.read_text().splitlines()
    lines[index] = new
    path.write_text("\n".join(lines) + "\n")


def test_not_a_video(capfd, tmp_path, dataset_copy):
    (dataset_copy / "videos/val_000.mp4").write_text("this is not a video")
    rc, err = run_ingest(capfd, dataset_copy, tmp_path / "out")
    assert_clean_failure(rc, err, tmp_path / "out", "val_000.mp4", "cannot open", "re-encode")
    assert not (tmp_path / "out").exists()  # caught before any video was decoded


def test_truncated_video(capfd, tmp_path, dataset_copy):
    video = dataset_copy / "videos/train_001.mp4"
    video.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    rc, err = run_ingest(capfd, dataset_copy, tmp_path / "out")
    assert_clean_failure(rc, err, tmp_path / "out", "train_001.mp4", "re-encode")


def test_corrupt_video_that_stops_decoding(capfd, tmp_path, dataset_copy):
    video = dataset_copy / "videos/train_001.mp4"
    data = bytearray(video.read_bytes())
    third = len(data) // 3
    data[third:third + 2000] = bytes(2000)
    video.write_bytes(bytes(data))
    rc, err = run_ingest(capfd, dataset_copy, tmp_path / "out")
    assert_clean_failure(rc, err, tmp_path / "out", "train_001.mp4", "truncated or corrupt", "frames its container")


def test_labels_shorter_than_video_fails_then_trims_when_allowed(capfd, tmp_path, dataset_copy):
    labels = dataset_copy / "labels/test_000.csv"
    lines = labels.read_text().splitlines()
    labels.write_text("\n".join(lines[:-3]) + "\n")
    rc, err = run_ingest(capfd, dataset_copy, tmp_path / "out")
    assert_clean_failure(rc, err, tmp_path / "out", "recording test_000", "3 fewer", "ingest.allow_trim >= 3")
    rc, _ = run_ingest(capfd, dataset_copy, tmp_path / "out", "-S", "ingest.allow_trim=3")
    assert rc == 0
    meta = json.loads((tmp_path / "out/test_000/meta.json").read_text())
    assert meta["trimmed_frames"] == 3 and meta["n_frames"] == len(lines) - 4


def test_label_not_in_classes(capfd, tmp_path, dataset_copy):
    replace_line(dataset_copy / "labels/train_000.csv", 11, "10,9")
    rc, err = run_ingest(capfd, dataset_copy, tmp_path / "out")
    assert_clean_failure(rc, err, tmp_path / "out", "recording train_000", "label 9 at frame 10", "classes.csv")
    assert not (tmp_path / "out").exists()  # caught before any video was decoded


def test_frames_not_counting_up(capfd, tmp_path, dataset_copy):
    replace_line(dataset_copy / "labels/train_000.csv", 11, "12,0")
    rc, err = run_ingest(capfd, dataset_copy, tmp_path / "out")
    assert_clean_failure(rc, err, tmp_path / "out", "row 12 has frame 12, expected 10")


def test_empty_dataset(capfd, tmp_path, dataset_copy):
    manifest = dataset_copy / "manifest.csv"
    manifest.write_text(manifest.read_text().splitlines()[0] + "\n")
    rc, err = run_ingest(capfd, dataset_copy, tmp_path / "out")
    assert_clean_failure(rc, err, tmp_path / "out", "lists no recordings", "empty")


def test_missing_manifest_column(capfd, tmp_path, dataset_copy):
    manifest = dataset_copy / "manifest.csv"
    manifest.write_text(manifest.read_text().replace(",split,", ",fold,"))
    rc, err = run_ingest(capfd, dataset_copy, tmp_path / "out")
    assert_clean_failure(rc, err, tmp_path / "out", "lacks column(s) split")


def test_missing_file_and_unknown_layout(capfd, tmp_path, dataset_copy):
    (dataset_copy / "labels/val_000.csv").unlink()
    rc, err = run_ingest(capfd, dataset_copy, tmp_path / "out")
    assert_clean_failure(rc, err, tmp_path / "out", "recording val_000", "labels file", "does not exist")
    rc, err = run_ingest(capfd, tmp_path, tmp_path / "out")
    assert_clean_failure(rc, err, tmp_path / "out", "cannot tell the layout", "ingest.layout")
    rc, err = run_ingest(capfd, tmp_path / "nowhere", tmp_path / "out")
    assert_clean_failure(rc, err, tmp_path / "out", "does not exist", "ingest.source")


def test_masks_count_mismatch(capfd, tmp_path, dataset_copy):
    path = dataset_copy / "masks/train_000.npz"
    masks = np.load(path)["masks"]
    np.savez_compressed(path, masks=masks[:-2])
    rc, err = run_ingest(capfd, dataset_copy, tmp_path / "out")
    assert_clean_failure(rc, err, tmp_path / "out", "recording train_000", "masks has", "2 fewer")


def test_console_script_prints_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mcat.cli", "ingest", "--params", str(ROOT / "params.yaml"),
                           "-S", f"ingest.source={tmp_path / 'missing'}", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.startswith("mcat ingest: error: dataset root") and "Traceback" not in proc.stderr
