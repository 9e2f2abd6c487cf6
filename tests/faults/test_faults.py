"""The fault suite: bad inputs and damaged files across every stage, as a hostile but fair user makes them.

Each case copies a project folder that has been through every tiny-preset stage, breaks one thing, snapshots
the folder, runs one ``mcat`` command in-process and asserts:

- ``error`` cases: exit status 1, one message naming the problem (a regex), no exception escaping ``main`` (a
  traceback in a shell), and every file of the folder byte-identical to the snapshot (nothing half-written,
  no temporary left behind);
- ``recovers`` cases: exit status 0, no exception, and the damaged file rebuilt (``check``).

Killing a process (SIGKILL) cannot happen in-process: those cases run ``mcat`` as a subprocess at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import pytest
import torch

from conftest import ROOT, SELFIE_MODELS
from mcat.atomic import exclusive
from mcat.cli import main
from mcat.data.arrays import array_problem

DEAD_SERVER = "http://127.0.0.1:9"  # the discard port: nothing answers
REC = "train_000"  # a recording of the tiny dataset
STORE, MASKS, WINDOWS = "data/ingested", "data/masks", "data/windows"
Breaker = Callable[[Path], None]


@pytest.fixture(scope="session")
def workspace(tmp_path_factory, tiny_dataset) -> Path:
    """params.yaml, presets/, data/{synthetic,ingested,masks,windows}, models/ and reports/ after the tiny-preset
    stages (no tracking). Read-only: cases copy it."""
    ws = tmp_path_factory.mktemp("faults") / "project"
    ws.mkdir()
    shutil.copy(ROOT / "params.yaml", ws)
    shutil.copytree(ROOT / "presets", ws / "presets")
    shutil.copytree(tiny_dataset, ws / "data" / "synthetic")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ws)
        for argv in (["ingest"], ["masks"], ["windows"], ["train", "--no-track", "-S", "train.epochs=1"],
                     ["evaluate", "--no-track"]):
            assert main([*argv, "--preset", "tiny"]) == 0, argv
    return ws


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) → the sha256 of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- ways to break a project folder -------------------------------------------------------------------------

def garbage(rel: str, size: int = 4096) -> Breaker:
    return text(rel, np.random.default_rng(0).bytes(size))


def truncated(rel: str, keep: float = 0.5) -> Breaker:
    def apply(ws: Path) -> None:
        data = (ws / rel).read_bytes()
        (ws / rel).write_bytes(data[:int(len(data) * keep)])
    return apply


def text(rel: str, content: str | bytes) -> Breaker:
    def apply(ws: Path) -> None:
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_bytes(content.encode() if isinstance(content, str) else content)
    return apply


def edited(rel: str, old: str, new: str | bytes) -> Breaker:
    def apply(ws: Path) -> None:
        content = (ws / rel).read_bytes()
        assert old.encode() in content, (rel, old)
        (ws / rel).write_bytes(content.replace(old.encode(), new.encode() if isinstance(new, str) else new, 1))
    return apply


def removed(rel: str) -> Breaker:
    return lambda ws: shutil.rmtree(ws / rel) if (ws / rel).is_dir() else (ws / rel).unlink()


def array(rel: str, value: np.ndarray) -> Breaker:
    return lambda ws: np.save(ws / rel, value)


def json_edit(rel: str, change: Callable[[dict], None]) -> Breaker:
    def apply(ws: Path) -> None:
        data = json.loads((ws / rel).read_text())
        change(data)
        (ws / rel).write_text(json.dumps(data))
    return apply


def both(*breakers: Breaker) -> Breaker:
    def apply(ws: Path) -> None:
        for breaker in breakers:
            breaker(ws)
    return apply


def video(rel: str, frames: int) -> Breaker:
    def apply(ws: Path) -> None:
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        writer = cv2.VideoWriter(str(ws / rel), cv2.VideoWriter_fourcc(*"mp4v"), 30, (64, 48))
        for i in range(frames):
            writer.write(np.full((48, 64, 3), 20 * i % 255, np.uint8))
        writer.release()
    return apply


def image_as_video(rel: str) -> Breaker:
    def apply(ws: Path) -> None:
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        ok, png = cv2.imencode(".png", np.zeros((48, 64, 3), np.uint8))
        (ws / rel).write_bytes(png.tobytes())
    return apply


def nothing(ws: Path) -> None:
    pass


# -- checks that a damaged file was rebuilt -------------------------------------------------------------------

def intact(rel: str, dtype, shape_of: str) -> Callable[[Path], None]:
    def check(ws: Path) -> None:
        shape = np.load(ws / shape_of, mmap_mode="r").shape
        assert array_problem(ws / rel, dtype, shape) is None
    return check


def set_aside(rel: str) -> Callable[[Path], None]:
    def check(ws: Path) -> None:
        assert (ws / (rel + ".damaged")).is_file() and (ws / "models" / "model.pt").is_file()
    return check


@dataclass(frozen=True)
class Fault:
    name: str
    argv: list[str]
    breaks: Breaker
    expect: str  # a regex the one-line message must match (error), or the output must contain (recovers)
    recovers: Callable[[Path], None] | None = None  # for a fault the command repairs: what must hold after
    env: dict[str, str] = field(default_factory=dict)
    report: str | None = None  # a folder the failing command writes on purpose (the gate's report)


FRAMES, LABELS = f"{STORE}/{REC}/frames.npy", f"{STORE}/{REC}/labels.npy"
MASK = f"{MASKS}/{REC}.npy"
MANIFEST, CLASSES = "data/synthetic/manifest.csv", "data/synthetic/classes.csv"
LABELS_CSV, SOURCE_MASKS = f"data/synthetic/labels/{REC}.csv", "data/synthetic/masks/test_000.npz"
SOURCE_VIDEO = f"data/synthetic/videos/{REC}.mp4"
NO_STORE = removed(STORE)  # so that "nothing half-written" means: still no store

FAULTS = [
    # params: types are strict, ranges checked, files and overrides well-formed
    Fault("unknown key", ["params", "-S", "train.lrr=0.1"], nothing, r"train.lrr.*unknown key"),
    Fault("bool as an int", ["train", "-S", "train.epochs=true"], nothing, r"train.epochs = True.*valid integer"),
    Fault("bool as a float", ["train", "-S", "train.lr=true"], nothing, r"train.lr = True.*valid number"),
    Fault("infinite lr", ["train", "-S", "train.lr=.inf"], nothing, r"train.lr = inf.*finite number"),
    Fault("nan weight decay", ["train", "-S", "train.weight_decay=.nan"], nothing, r"weight_decay = nan.*finite"),
    Fault("fractional epochs", ["train", "-S", "train.epochs=2.5"], nothing, r"train.epochs = 2.5.*valid integer"),
    Fault("zero epochs", ["train", "-S", "train.epochs=0"], nothing, r"train.epochs = 0.*greater than or equal to 1"),
    Fault("negative lr", ["train", "-S", "train.lr=-0.1"], nothing, r"train.lr = -0.1.*greater than 0"),
    Fault("unknown model", ["train", "-S", "train.model=resnet"], nothing, r"unknown model 'resnet'"),
    Fault("unknown input mode", ["train", "-S", "train.input_mode=rgb"], nothing, r"input_mode = 'rgb'"),
    Fault("unknown joint visibility", ["pose", "-S", "pose.blazepose.visibility=maybe"], nothing,
          r"visibility = 'maybe'.*'seen' or 'confidence'"),
    Fault("string for a number", ["register", "-S", "registry.register_min_test_macro_f1=high"], nothing,
          r"register_min_test_macro_f1 = 'high'.*valid number"),
    Fault("reversed range", ["train", "-S", "train.augment.crop_scale=[0.9,0.5]"], nothing, r"low <= high"),
    Fault("crop scale above 1", ["train", "-S", "train.augment.crop_scale=[0.5,1.5]"], nothing, r"cannot exceed 1"),
    Fault("probability above 1", ["train", "-S", "train.augment.hflip_p=2"], nothing, r"hflip_p = 2.*less than or equal"),
    Fault("zero stride", ["windows", "-S", "windows.stride=0"], nothing, r"windows.stride = 0"),
    Fault("override without =", ["train", "-S", "train.epochs"], nothing, r"must look like section.key=value"),
    Fault("conflicting overrides", ["train", "-S", "train=1", "-S", "train.lr=1"], nothing, r"conflicts"),
    Fault("unknown backend", ["masks", "-S", "masks.backend=sam"], nothing, r"masks.backend = 'sam'"),
    Fault("zero speed factor", ["speedtest", "-S", "speedtest.factors=[0,1]"], nothing, r"speedtest.factors"),
    Fault("negative recordings", ["synth", "-S", "synth.splits.train.recordings=-1"], nothing, r"recordings = -1"),
    Fault("missing params file", ["train", "--params", "nope.yaml"], nothing, r"nope.yaml does not exist"),
    Fault("params not YAML", ["train"], text("params.yaml", "train: [1, 2\n"), r"params.yaml is not valid YAML"),
    Fault("params a list", ["train"], text("params.yaml", "- 1\n- 2\n"), r"must hold a mapping"),
    Fault("params not UTF-8", ["train"], text("params.yaml", b"train:\n  lr: \xff\n"), r"params.yaml is not UTF-8"),
    Fault("unknown preset", ["train", "--preset", "huge"], nothing, r"preset 'huge' .*does not exist"),
    # ingest: a bad dataset is named before anything is written; a damaged store is rebuilt
    Fault("missing source", ["ingest", "-S", "ingest.source=nowhere"], nothing, r"nowhere"),
    Fault("manifest not UTF-8", ["ingest"], edited(MANIFEST, "train_001,", b"train_\xe9001,"),
          r"manifest.*not UTF-8"),
    Fault("manifest lacks a column", ["ingest"], edited(MANIFEST, "subject", "person"), r"lacks column\(s\) subject"),
    Fault("manifest header only", ["ingest"], lambda ws: (ws / MANIFEST).write_text(
        (ws / MANIFEST).read_text().splitlines()[0] + "\n"), r"lists no recordings"),
    Fault("duplicate recording", ["ingest"], edited(MANIFEST, "train_001,", "train_000,"), r"appears twice"),
    Fault("unsafe recording id", ["ingest"], edited(MANIFEST, "train_001,", "../x,"), r"recording id '../x' must be"),
    Fault("video path missing", ["ingest"], removed(SOURCE_VIDEO), r"video file .*train_000.mp4 does not exist"),
    Fault("class ids with a gap", ["ingest"], edited(CLASSES, "\n1,", "\n7,"), r"ids must be 0, 1, \.\.\., C-1"),
    Fault("class id not a number", ["ingest"], edited(CLASSES, "\n1,", "\none,"), r"every id must be an integer"),
    Fault("label not a class", ["ingest"], edited(LABELS_CSV, "\n5,0", "\n5,99"), r"label 99 at frame 5 .*not a class id"),
    Fault("label frames skip", ["ingest"], edited(LABELS_CSV, "\n5,", "\n6,"), r"row 7 has frame 6, expected 5"),
    Fault("label not a number", ["ingest"], edited(LABELS_CSV, "\n5,0", "\n5,squat"), r"cannot read labels"),
    Fault("labels shorter than video", ["ingest"], lambda ws: (ws / LABELS_CSV).write_text(
        "\n".join((ws / LABELS_CSV).read_text().splitlines()[:-3]) + "\n"), r"labels has \d+ entries but the video"),
    Fault("video random bytes", ["ingest"], garbage(SOURCE_VIDEO), r"train_000.mp4: OpenCV cannot open"),
    Fault("video empty", ["ingest"], text(SOURCE_VIDEO, b""), r"train_000.mp4"),
    Fault("video truncated", ["ingest"], truncated(SOURCE_VIDEO, 0.5), r"train_000.mp4"),
    Fault("provided masks random bytes", ["ingest"], both(NO_STORE, garbage(SOURCE_MASKS)),
          r"masks .*test_000.npz cannot be read"),
    Fault("provided masks too few", ["ingest"], both(NO_STORE, lambda ws: np.savez(
        ws / SOURCE_MASKS, masks=np.load(ws / SOURCE_MASKS)["masks"][:-4])), r"recording test_000: masks has"),
    Fault("provided masks 2-D", ["ingest"], both(NO_STORE, lambda ws: np.savez(ws / SOURCE_MASKS, masks=np.ones((4, 4)))),
          r"expected \[frames, height, width\]"),
    Fault("provided masks empty archive", ["ingest"], both(NO_STORE, lambda ws: np.savez(ws / SOURCE_MASKS)),
          r"holds no array"),
    Fault("truncated frames in store", ["ingest"], truncated(FRAMES), "1 ingested",
          recovers=intact(FRAMES, np.uint8, FRAMES)),
    Fault("random labels in store", ["ingest"], garbage(LABELS), "1 ingested",
          recovers=intact(LABELS, np.int16, LABELS)),
    Fault("damaged meta in store", ["ingest"], text(f"{STORE}/{REC}/meta.json", "{"), "1 ingested",
          recovers=lambda ws: json.loads((ws / STORE / REC / "meta.json").read_text())),
    # masks
    Fault("masks without a store", ["masks", "--store", "nowhere"], nothing, r"run `mcat ingest` first"),
    Fault("selfie model missing", ["masks", "-S", "masks.backend=selfie", "-S", "masks.selfie.model=none.tflite"],
          nothing, r"none.tflite"),
    Fault("selfie model damaged", ["masks", "-S", "masks.backend=selfie", "-S", "masks.selfie.model=bad.tflite"],
          garbage("bad.tflite"), r"bad.tflite"),
    # (damaged YOLO weights: tests/masks/test_backends.py, where ultralytics is imported with its own settings)
    Fault("frames damaged before masks", ["masks"], truncated(FRAMES), r"frames.npy is damaged .*run `mcat ingest`"),
    Fault("masks random bytes", ["masks"], garbage(MASK), "1 generated", recovers=intact(MASK, np.uint8, FRAMES)),
    Fault("masks truncated", ["masks"], truncated(MASK), "1 generated", recovers=intact(MASK, np.uint8, FRAMES)),
    Fault("masks too few", ["masks"], lambda ws: np.save(ws / MASK, np.load(ws / MASK)[:-2]), "1 generated",
          recovers=intact(MASK, np.uint8, FRAMES)),
    Fault("mask stamp damaged", ["masks"], text(f"{MASKS}/{REC}.json", "{"), "1 generated",
          recovers=lambda ws: json.loads((ws / MASKS / f"{REC}.json").read_text())),
    # validate
    Fault("validate without quality table", ["validate"], removed(f"{MASKS}/quality.csv"), r"run `mcat masks`"),
    Fault("validate truncated frames", ["validate"], truncated(FRAMES), r"frames.npy is damaged .*mcat ingest"),
    Fault("validate random labels", ["validate"], garbage(LABELS), r"labels.npy is damaged \(not a NumPy"),
    Fault("validate masks damaged", ["validate"], garbage(MASK), r"train_000.npy is damaged .*mcat masks"),
    Fault("validate masks missing", ["validate"], removed(MASK), r"train_000", report="reports/validation/"),
    Fault("coverage range reversed", ["validate", "-S", "quality.coverage_min=0.9"], nothing,
          r"coverage_min \(0.9\) must not exceed coverage_max"),
    Fault("validate gate fails", ["validate", "-S", "quality.coverage_max=0.02"], nothing,
          r"gate failed.*\n.*coverage_mean",
          report="reports/validation/"),
    Fault("store index damaged", ["validate"], text(f"{STORE}/recordings.csv", b"\xff\xfe\x00garbage"),
          r"recordings.csv is not UTF-8"),
    # windows
    Fault("window longer than test recordings", ["windows", "-S", "windows.T=600"], nothing,
          r"split '\w+' gets no window.*fewer than windows.T=600"),
    Fault("windows without masks", ["windows"], removed(MASK), r"train_000.npy is missing: run `mcat masks`"),
    Fault("windows masks too few", ["windows"], lambda ws: np.save(ws / MASK, np.load(ws / MASK)[:-2]),
          r"train_000.npy is damaged \(shape"),
    Fault("windows masks of other dtype", ["windows"], lambda ws: np.save(ws / MASK, np.load(ws / MASK).astype(float)),
          r"dtype float64, expected uint8"),
    Fault("windows labels damaged", ["windows"], truncated(LABELS, 0.9), r"labels.npy is damaged"),
    Fault("windows without a store", ["windows", "--store", "nowhere"], nothing, r"run `mcat ingest` first"),
    Fault("store index lacks a column", ["windows"], edited(f"{STORE}/recordings.csv", "n_frames", "frames"),
          r"lacks column\(s\) n_frames"),
    # train
    Fault("train without windows", ["train", "--no-track", "--windows", "nowhere"], nothing, r"mcat windows"),
    Fault("train split empty", ["train", "--no-track"], lambda ws: (ws / WINDOWS / "train.csv").write_text(
        "recording_id,start,label\n"), r"training needs train and val windows"),
    Fault("train masks damaged", ["train", "--no-track", "-S", "train.epochs=2"], garbage(MASK), r"mcat masks"),
    Fault("train on a missing GPU", ["train", "--no-track", "-S", "train.device=cuda"], nothing, r"no GPU"),
    Fault("train with an unknown model option", ["train", "--no-track", "-S", "train.model_options={wings: 2}"],
          nothing, r"wings"),
    Fault("train without a tracking server", ["train", "-S", "train.epochs=2"], nothing,
          r"cannot use the MLflow tracking store", env={"MLFLOW_TRACKING_URI": DEAD_SERVER}),
    Fault("checkpoint random bytes", ["train", "--no-track", "-S", "train.epochs=2"],
          garbage("models/checkpoints/last.pt"), "set aside", recovers=set_aside("models/checkpoints/last.pt")),
    Fault("checkpoint truncated", ["train", "--no-track", "-S", "train.epochs=2"],
          truncated("models/checkpoints/last.pt"), "set aside", recovers=set_aside("models/checkpoints/last.pt")),
    # evaluate
    Fault("model random bytes", ["evaluate", "--no-track"], garbage("models/model.pt"), r"model.pt is not a readable"),
    Fault("model truncated", ["evaluate", "--no-track"], truncated("models/model.pt"), r"model.pt is not a readable"),
    Fault("model missing", ["evaluate", "--no-track"], removed("models/model.pt"), r"model.pt does not exist"),
    Fault("model of another program", ["evaluate", "--no-track"], lambda ws: torch.save(
        [1, 2], ws / "models" / "model.pt"), r"model.pt is not a .*holds a list"),
    Fault("model without weights", ["evaluate", "--no-track"], lambda ws: torch.save(
        {"format": "x"}, ws / "models" / "model.pt"), r"model.pt"),
    Fault("test split header only", ["evaluate", "--no-track"], lambda ws: (ws / WINDOWS / "test.csv").write_text(
        "recording_id,start,label\n"), r"split\(s\) test have no window"),
    Fault("no window index", ["evaluate", "--no-track", "--windows", "empty"], lambda ws: (ws / "empty").mkdir(),
          r"holds no window index: run `mcat windows`"),
    Fault("unknown split", ["evaluate", "--no-track", "-S", "evaluate.splits=[val,holdout]"], nothing,
          r"no windows for split\(s\) holdout"),
    Fault("evaluate masks damaged", ["evaluate", "--no-track"], truncated(f"{MASKS}/test_000.npy"),
          r"test_000.npy is damaged .*mcat masks"),
    # speedtest
    Fault("speedtest model damaged", ["speedtest", "--no-track"], garbage("models/model.pt"), r"not a readable"),
    Fault("speedtest unknown split", ["speedtest", "--no-track", "-S", "speedtest.splits=[holdout]"], nothing,
          r"holdout"),
    Fault("speedtest frames damaged", ["speedtest", "--no-track"], truncated(f"{STORE}/test_000/frames.npy"),
          r"frames.npy is damaged"),
    # metrics, register, promote, models
    Fault("metric not a number", ["register"], json_edit("reports/metrics.json", lambda m: m["test"].update(
        macro_f1="high")), r"test.macro_f1 is 'high', not a number", env={"MLFLOW_TRACKING_URI": DEAD_SERVER}),
    Fault("metric missing", ["register"], json_edit("reports/metrics.json", lambda m: m["test"].pop("accuracy")),
          r"test.accuracy is None", env={"MLFLOW_TRACKING_URI": DEAD_SERVER}),
    Fault("metrics not JSON", ["register"], text("reports/metrics.json", "{"), r"metrics.json is not valid JSON"),
    Fault("metrics without digest", ["register"], text("reports/metrics.json", "{}"), r"no data_digest"),
    Fault("metrics missing", ["metrics"], removed("reports/metrics.json"), r"run `mcat evaluate`"),
    Fault("register without a server", ["register"], nothing, r"127.0.0.1:9", env={"MLFLOW_TRACKING_URI": DEAD_SERVER}),
    Fault("promote without a server", ["promote"], nothing, r"127.0.0.1:9", env={"MLFLOW_TRACKING_URI": DEAD_SERVER}),
    Fault("models without a server", ["models"], nothing, r"127.0.0.1:9", env={"MLFLOW_TRACKING_URI": DEAD_SERVER}),
    # predict: every input checked before any output is written, and the file named
    Fault("predict a missing video", ["predict", "gone.mp4"], nothing, r"gone.mp4 does not exist"),
    Fault("predict an empty folder", ["predict", "clips"], lambda ws: (ws / "clips").mkdir(), r"clips holds no video"),
    Fault("predict an image named .mp4", ["predict", "clips"], image_as_video("clips/photo.mp4"), r"clips/photo.mp4"),
    Fault("predict random bytes", ["predict", "clips"], garbage("clips/noise.mp4"), r"clips/noise.mp4: OpenCV cannot"),
    Fault("predict a 5-frame video", ["predict", "clips"], video("clips/short.mp4", 5),
          r"clips/short.mp4: it has 5 frames, fewer than one window"),
    Fault("predict good and bad", ["predict", "clips"], both(video("clips/a_good.mp4", 60), garbage("clips/b_bad.mp4")),
          r"clips/b_bad.mp4"),
    Fault("predict with a damaged model", ["predict", "--model", "models/model.pt", "clips"],
          both(video("clips/a.mp4", 60), garbage("models/model.pt")), r"model.pt is not a readable"),
    Fault("predict from an unreachable registry", ["predict", "--model", "models:/mcat-exercise@champion", "clips"],
          video("clips/a.mp4", 60), r"cannot load models:/mcat-exercise@champion",
          env={"MLFLOW_TRACKING_URI": DEAD_SERVER}),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault(fault: Fault, workspace, tmp_path, monkeypatch, capsys):
    ws = Path(shutil.copytree(workspace, tmp_path / "project"))
    monkeypatch.chdir(ws)
    for key, value in fault.env.items():
        monkeypatch.setenv(key, value)
    fault.breaks(ws)
    before = snapshot(ws)
    preset = [] if "--preset" in fault.argv else ["--preset", "tiny"]
    argv = [fault.argv[0], *preset, *SELFIE_MODELS, *fault.argv[1:]]
    try:
        status = main(argv)
    except BaseException as exc:  # noqa: BLE001 - what a shell would print as a traceback
        pytest.fail(f"{fault.name}: {type(exc).__name__} escaped (a traceback for the user): {exc}")
    out = capsys.readouterr()
    printed = out.out + out.err
    assert "Traceback" not in printed
    if fault.recovers:
        assert status == 0, printed
        assert fault.expect in printed
        fault.recovers(ws)
        return
    assert status == 1, printed
    errors = [line for line in out.err.splitlines() if ": error: " in line]
    assert errors, printed
    assert re.search(fault.expect, out.err), out.err
    after = snapshot(ws)
    if fault.report:
        assert any(path.startswith(fault.report) for path in after)
        before, after = ({k: v for k, v in files.items() if not k.startswith(fault.report)} for files in (before, after))
    assert after == before, "the failed command changed the project folder"


@pytest.mark.parametrize("command,output", [("train", "models"), ("ingest", STORE), ("masks", MASKS)])
def test_second_writer_is_refused(command, output, workspace, tmp_path, monkeypatch, capsys):
    """Two processes writing one output at once: the second stops at once and changes nothing."""
    ws = Path(shutil.copytree(workspace, tmp_path / "project"))
    monkeypatch.chdir(ws)
    before = snapshot(ws)
    with exclusive(ws / output, f"mcat {command}"):  # the first writer, still at work
        status = main([command, "--preset", "tiny", "--no-track"] if command == "train" else [command, "--preset", "tiny"])
    assert status == 1
    assert re.search(rf"another `mcat {command}` is writing {output} right now", capsys.readouterr().err)
    assert snapshot(ws) == before


def test_killed_training_leaves_no_running_run(workspace, tmp_path, mlflow_env):
    """SIGKILL ends a process without cleanup: the next `mcat train` into the same folder ends the orphan run."""
    from mlflow.tracking import MlflowClient

    ws = Path(shutil.copytree(workspace, tmp_path / "project"))
    shutil.rmtree(ws / "models")
    mcat = [str(Path(sys.executable).with_name("mcat")), "train", "--preset", "tiny", "-S",
            "mlflow.experiment=killed"]
    client = MlflowClient(mlflow_env)
    doomed = subprocess.Popen([*mcat, "-S", "train.epochs=200"], cwd=ws, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not _runs(client, "killed", "RUNNING") and time.time() < deadline and doomed.poll() is None:
        time.sleep(0.1)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()
    orphan = _runs(client, "killed", "RUNNING")
    assert len(orphan) == 1
    done = subprocess.run([*mcat, "-S", "train.epochs=1"], cwd=ws, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "marked KILLED" in done.stderr
    assert not _runs(client, "killed", "RUNNING")
    assert client.get_run(orphan[0]).info.status == "KILLED"


def _runs(client, experiment: str, status: str) -> list[str]:
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return []
    return [r.info.run_id for r in client.search_runs([found.experiment_id], f"attributes.status = '{status}'")]
