"""Ultralytics YOLO, offline-safe, for the YOLO masks (:mod:`mcat.masks.backends.yolo`) and keypoints
(:mod:`mcat.pose.yolo`).

Its settings live in a project folder (``$MCAT_CACHE_DIR/ultralytics`` or ``~/.cache/mcat/ultralytics``), its
sync, hub and MLflow/DVC callbacks are off, and it never installs packages. Weights come from the given path,
else ultralytics' weights folder, else a download; when none works, the error says so and names the param.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

from mcat.data.sources import default_cache
from mcat.errors import McatError


def _import_ultralytics():
    """Import ultralytics with its settings in the project's cache and its integrations off."""
    os.environ.setdefault("YOLO_CONFIG_DIR", str(default_cache() / "ultralytics"))
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    os.environ.setdefault("YOLO_VERBOSE", "false")
    import ultralytics
    from ultralytics import settings

    off = ("sync", "hub", "mlflow", "dvc", "clearml", "comet", "neptune", "raytune", "tensorboard", "wandb")
    settings.update({key: False for key in off if key in settings})  # the keys vary between releases
    return ultralytics


def load_yolo(weights: str, task: str = "segment", setting: str = "masks.yolo.weights"):
    """A YOLO model for ``task`` (segment, pose) from a path, a name, or (for tests) an architecture YAML;
    ``setting`` names the param the errors point at."""
    ultralytics = _import_ultralytics()
    example = {"segment": "yolo11n-seg", "pose": "yolo11n-pose"}.get(task, task)
    try:
        model = ultralytics.YOLO(weights, task=task)
    except Exception as exc:  # noqa: BLE001 - ultralytics raises ConnectionError, FileNotFoundError, ...
        why = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:160]}"
        if weights.endswith((".yaml", ".yml")):
            raise McatError(f"cannot build a YOLO {task} model from '{weights}' ({why}): {setting} needs a {task} "
                            f"architecture (e.g. {example}.yaml) or weights (e.g. {example}.pt)") from None
        if Path(weights).is_file():
            raise McatError(f"YOLO weights file '{weights}' cannot be loaded: damaged, truncated or not YOLO weights "
                            f"({why}); download it again") from None
        raise McatError(f"YOLO weights '{weights}' are not on this machine and could not be downloaded ({why}); "
                        f"download them and set {setting} to the file's path") from None
    if model.task != task:
        raise McatError(f"YOLO weights '{weights}' are a {model.task} model; {setting} needs a {task} model "
                        f"(e.g. {example}.pt)")
    return model


def yolo_device(device: str, setting: str) -> str:
    """The torch device for ``device`` (auto, cpu, cuda): a :class:`McatError` naming ``setting`` for cuda
    without a GPU."""
    import torch

    cuda = torch.cuda.is_available()
    if device == "cuda" and not cuda:
        raise McatError(f"{setting} is cuda but torch sees no GPU: set it to auto or cpu")
    return "cuda:0" if device == "cuda" or (device == "auto" and cuda) else "cpu"


@contextlib.contextmanager
def torch_threads_kept() -> Iterator[None]:
    """Leave torch's thread count as it was: ultralytics' device selection sets it to its own ``cpu_count - 1``
    for the whole process (1 on 2 cores), which would halve a training or a prediction that runs after it in
    the same process (the Kubeflow local runner, ``mcat predict``)."""
    import torch

    threads = torch.get_num_threads()
    try:
        yield
    finally:
        torch.set_num_threads(threads)
