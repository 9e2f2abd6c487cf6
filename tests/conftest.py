"""Shared fixtures: the tiny synthetic dataset rendered once per session, its store, and a real S3 endpoint."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mcat.config import Params, load_params
from mcat.ingest.stage import ingest
from mcat.windows.stage import make_windows
from mcat.masks.stage import generate_masks
from mcat.pose.stage import estimate_pose
from mcat.synth.stage import synth
from mcat.train.loop import fit

ROOT = Path(__file__).resolve().parents[1]


MODELS = ROOT.parent / "shared" / "models"  # CI always has ../shared beside the clone
# -S settings of both selfie models by absolute path, for commands run outside the repository
LANDSCAPE = MODELS / "mediapipe_selfie_segmentation_landscape_144x256.tflite"
SELFIE_MODELS = ("-S", f"masks.selfie.model={MODELS / 'mediapipe_selfie_segmentation_256x256.tflite'}",
                 "-S", f"masks.selfie.landscape_model={LANDSCAPE}")


def tiny_params(*overrides: str) -> Params:
    return load_params(ROOT / "params.yaml", "tiny", list(overrides))


# The input mode `make demo` trains (params.yaml); the tiny preset trains `both`, and the DVC and Kubeflow runs this one
DEMO_INPUT_MODE = load_params(ROOT / "params.yaml").train.input_mode


def with_source(params: Params, source: Path | str) -> Params:
    """``params`` reading the dataset at ``source``."""
    return params.model_copy(update={"ingest": params.ingest.model_copy(update={"source": str(source)})})


@pytest.fixture(scope="session")
def tiny() -> Params:
    return tiny_params()


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory, tiny) -> Path:
    """The tiny synthetic dataset (framewise layout). Read-only: copy it before changing it."""
    return synth(tiny.synth, tmp_path_factory.mktemp("synthetic") / "dataset").out


@pytest.fixture
def dataset_copy(tmp_path, tiny_dataset) -> Path:
    """A private, writable copy of the tiny dataset."""
    return Path(shutil.copytree(tiny_dataset, tmp_path / "dataset"))


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory, tiny, tiny_dataset) -> tuple[Path, Path]:
    """(store, masks) folders of the ingested tiny dataset. Read-only."""
    base = tmp_path_factory.mktemp("store")
    params = with_source(tiny, tiny_dataset)
    store = ingest(params.ingest, base / "ingested").out
    masks = generate_masks(params.masks, store, base / "masks", source=params.ingest.source).out
    return store, masks


@pytest.fixture(scope="session")
def tiny_windows(tmp_path_factory, tiny, tiny_store) -> tuple[Path, Path, Path]:
    """(windows, store, masks) of the tiny dataset. Read-only."""
    windows = make_windows(tiny.windows, *tiny_store, tmp_path_factory.mktemp("windows") / "windows").out
    return windows, *tiny_store


@pytest.fixture(scope="session")
def tiny_pose(tmp_path_factory, tiny, tiny_dataset, tiny_store) -> Path:
    """The tiny store's keypoints (``provided``: the renderer's exact joints). Read-only."""
    params = with_source(tiny, tiny_dataset)
    return estimate_pose(params.pose, *tiny_store, tmp_path_factory.mktemp("pose") / "pose",
                         source=params.ingest.source).out


@pytest.fixture(scope="session")
def tiny_trained(tmp_path_factory, tiny, tiny_windows):
    """(params, TrainResult, folder) of the tiny model trained on the tiny windows (no tracking). Read-only."""
    out = tmp_path_factory.mktemp("trained")
    return tiny, fit(tiny.train, *tiny_windows, out), out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> str:
    """A real S3 endpoint (moto's server, a separate process) on 127.0.0.1; yields its URL."""
    port = _free_port()
    log = open(tmp_path_factory.mktemp("s3") / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    _wait_for(url, proc, 30)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture
def s3_env(monkeypatch, s3_endpoint, tmp_path) -> str:
    """The standard AWS environment pointing boto3 at the test endpoint; a private mirror cache."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("MCAT_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return s3_endpoint


@pytest.fixture
def ultralytics_home(monkeypatch, tmp_path) -> Path:
    """Ultralytics offline, its settings in a private project cache (which it returns)."""
    monkeypatch.setenv("MCAT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("YOLO_OFFLINE", "1")
    monkeypatch.delenv("YOLO_CONFIG_DIR", raising=False)
    return tmp_path / "cache" / "ultralytics"


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory) -> str:
    """A real ``mlflow server`` (SQLite store, served artifacts) on 127.0.0.1; yields its URL."""
    base = tmp_path_factory.mktemp("mlflow")
    port = _free_port()
    log = open(base / "server.log", "w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("mlflow")), "server", "--backend-store-uri", f"sqlite:///{base}/mlflow.db",
         "--artifacts-destination", str(base / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1"], stdout=log, stderr=subprocess.STDOUT, cwd=base)
    url = f"http://127.0.0.1:{port}"
    _wait_for(f"{url}/health", proc, 120)
    yield url
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


@pytest.fixture
def mlflow_env(monkeypatch, mlflow_server) -> str:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    return mlflow_server


def _wait_for(url: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.time() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"{url} did not come up")
            time.sleep(0.3)


def leftovers(folder: Path) -> list[str]:
    """Temporary names an interrupted write would leave behind."""
    return [p.name for p in Path(folder).rglob(".*tmp-*")] if Path(folder).exists() else []

