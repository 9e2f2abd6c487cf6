"""Ultralytics YOLO instance segmentation (AGPL-3.0), person class only — the paper's mask generator.

Frames go to the model in batches (``masks.batch_size``) with ``retina_masks`` so masks come at frame size;
one person is kept per frame by ``masks.yolo.instance``: ``largest`` (most pixels), ``track`` (the person
overlapping the previous frame's mask most; the largest when nothing overlaps) or ``union`` (everyone).

Ultralytics runs offline-safe here: its settings live in a project folder (``$MCAT_CACHE_DIR/ultralytics``
or ``~/.cache/mcat/ultralytics``), its sync, hub and MLflow/DVC callbacks are off, and it never installs
packages. Weights come from the given path, else ultralytics' weights folder, else a download; when none
works, the error says so and names ``masks.yolo.weights``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mcat.config import YoloParams
from mcat.data.sources import default_cache
from mcat.errors import McatError

PERSON = 0  # COCO class id

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


def load_yolo(weights: str):
    """A YOLO segmentation model from a path, a name, or (for tests) an architecture YAML."""
    ultralytics = _import_ultralytics()
    try:
        model = ultralytics.YOLO(weights, task="segment")
    except Exception as exc:  # noqa: BLE001 - ultralytics raises ConnectionError, FileNotFoundError, ...
        why = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:160]}"
        if Path(weights).is_file():
            raise McatError(f"YOLO weights file '{weights}' cannot be loaded: damaged, truncated or not YOLO weights "
                            f"({why}); download it again") from None
        raise McatError(f"YOLO weights '{weights}' are not on this machine and could not be downloaded ({why}); "
                        "download them and set masks.yolo.weights to the file's path") from None
    if model.task != "segment":
        raise McatError(f"YOLO weights '{weights}' are a {model.task} model; masks.yolo.weights needs a "
                        "segmentation model (e.g. yolo11n-seg.pt)")
    return model


def pick_instance(instances: np.ndarray, previous: np.ndarray | None, rule: str) -> np.ndarray:
    """One mask [H, W] bool from person instances [K, H, W] bool by ``rule`` (empty when K = 0)."""
    if not len(instances):
        return np.zeros(instances.shape[1:], bool)
    if rule == "union":
        return instances.any(axis=0)
    areas = instances.reshape(len(instances), -1).sum(axis=1)
    if rule == "track" and previous is not None and previous.any():
        overlap = (instances & previous).reshape(len(instances), -1).sum(axis=1)
        if overlap.max() > 0:
            return instances[int(np.argmax(overlap))]
    return instances[int(np.argmax(areas))]


class YoloSegmenter:
    def __init__(self, params: YoloParams, batch_size: int):
        import torch

        self.params, self.batch_size = params, batch_size
        self.model = load_yolo(params.weights)
        cuda = torch.cuda.is_available()
        if params.device == "cuda" and not cuda:
            raise McatError("masks.yolo.device is cuda but torch sees no GPU: set it to auto or cpu")
        self.device = "cuda:0" if params.device == "cuda" or (params.device == "auto" and cuda) else "cpu"
        self.half = params.half and self.device.startswith("cuda")
        self.previous: np.ndarray | None = None

    def reset(self) -> None:
        self.previous = None

    def segment(self, frames: np.ndarray) -> np.ndarray:
        """BGR uint8 [B, H, W, 3] → uint8 {0, 1} [B, H, W]; frames in recording order (for ``track``).

        Leaves torch's thread count as it found it: ultralytics' device selection sets it to its own
        ``cpu_count - 1`` for the whole process (1 on 2 cores), which would halve a training or a prediction
        that runs after the masks in the same process (the Kubeflow local runner, ``mcat predict``)."""
        import torch

        threads = torch.get_num_threads()
        try:
            return self._segment(frames)
        finally:
            torch.set_num_threads(threads)

    def _segment(self, frames: np.ndarray) -> np.ndarray:
        results = self.model.predict(list(frames), classes=[PERSON], conf=self.params.confidence,
                                     imgsz=self.params.imgsz, retina_masks=True, device=self.device,
                                     half=self.half, batch=self.batch_size, max_det=self.params.max_persons, stream=True,
                                     verbose=False)
        out = np.zeros(frames.shape[:3], np.uint8)
        for i, result in enumerate(results):
            if result.masks is None:
                instances = np.zeros((0, *frames.shape[1:3]), bool)
            else:
                instances = result.masks.data.cpu().numpy() > 0.5
            chosen = pick_instance(instances, self.previous, self.params.instance)
            out[i] = chosen
            self.previous = chosen if chosen.any() else self.previous
        return out
