"""``models/model.pt``: weights with everything needed to use them (model config, class names,
preprocessing), loadable with ``torch.load(weights_only=True)``. Torch only."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

import torch
from torch import nn

from mcat.atomic import atomic_file
from mcat.data.dataset import WindowDataset
from mcat.data.person_crop import crop_name, joints_crop, window_crop
from mcat.errors import McatError
from mcat.model_names import reads_pose
from mcat.inference import device_of, fold_batch_norm, prepare
from mcat.models import from_config
from mcat.models.exported import is_torchscript, load_exported
from mcat.models.tempo import TempoAveraged
from mcat.torchfile import load_torch_file


@dataclass(frozen=True)
class Preprocessing:
    """How clips are made for the model, the same in training, evaluation and prediction: frames at
    ``resolution`` x ``resolution``, windows of ``T`` frames every ``stride`` frames, each labelled by frame
    ``label_frame`` of the window, masks from the ``mask_backend`` the model was trained on, every video on a
    clock of ``fps`` frames per second (0: its own rate) and ``fit`` into the square (see
    :class:`~mcat.data.framing.Framing`; model files older than both were trained on stretched frames at each
    video's own rate), each window cut as ``crop`` says (``person``: to its masks' box widened by
    ``crop_margin``, :mod:`mcat.data.person_crop`; older model files: ``none``), for a model that reads
    keypoints, the ``pose_backend`` they came from (empty for the others), and the speed factors each window is
    also replayed at, its class probabilities averaged (``tempo_averaging``, :mod:`mcat.models.tempo`; (1,): off,
    as in older model files)."""

    resolution: int
    T: int
    stride: int
    label_frame: int
    mask_backend: str
    fps: float = 0.0
    fit: str = "stretch"
    crop: str = "none"
    crop_margin: float = 0.0
    pose_backend: str = ""
    tempo_averaging: tuple[float, ...] = (1.0,)

    def __post_init__(self) -> None:  # a JSON list in an exported file's metadata
        object.__setattr__(self, "tempo_averaging", tuple(float(f) for f in self.tempo_averaging))

    def window_crop(self) -> Callable[[np.ndarray], np.ndarray]:
        """The crop of every window clip uint8 [2, T, R, R] → [2, T, R, R]."""
        return window_crop(self.crop, self.crop_margin)

    def joints_crop(self) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """The same crop of the window's keypoints float32 [T, K, 3], given its uncut masks uint8 [T, R, R]."""
        return joints_crop(self.crop, self.crop_margin)


def pose_input(input_mode: str, pose: Path | None, who: str) -> Path | None:
    """The keypoints a model of ``input_mode`` reads: ``pose`` for a pose input mode (an error naming ``who``
    without it), else None (keypoints beside a model that reads none are not its data)."""
    if not reads_pose(input_mode):
        return None
    if pose is None:
        raise McatError(f"{who} reads pose keypoints (input mode '{input_mode}'): run `mcat pose` and give its "
                        "output (--pose data/pose)")
    return Path(pose)


@dataclass(frozen=True)
class ModelFile:
    model: nn.Module  # what scores windows: from a model.pt the network, batch norms folded, tempo-averaged
    class_names: list[str]
    preprocessing: Preprocessing
    meta: dict[str, Any]  # metrics, mlflow_run_id, data_digest, train params
    trained: nn.Module | None = None  # the network as trained, from a model.pt; None for an exported file

    @property
    def network(self) -> nn.Module:
        """The trained network itself, as trained: no folding, no test-time tempo averaging (what explain maps)."""
        return self.model if self.trained is None else self.trained

    @property
    def input_mode(self) -> str:
        return self.meta.get("train", {}).get("input_mode", "both")

    def pose_store(self, pose: Path | None, path: Path) -> Path | None:
        """The keypoints this model reads beside its clips (:func:`pose_input`)."""
        return pose_input(self.input_mode, pose, str(path))


def save_model_file(path: Path, model: nn.Module, state_dict: dict, *, class_names: list[str],
                    preprocessing: Preprocessing, meta: dict) -> None:
    payload = {"format": "mcat-model/1", "model_config": dict(model.config), "state_dict": state_dict,
               "class_names": list(class_names), "preprocessing": asdict(preprocessing), "meta": meta}
    with atomic_file(path) as tmp:
        torch.save(payload, tmp)


def load_model_file(path: Path, device: torch.device | str = "cpu") -> ModelFile:
    """The model (eval mode, on ``device``; with the test-time tempo averaging its preprocessing names) and its
    metadata, from a model file ``mcat train`` wrote or from a file ``mcat export`` wrote (ONNX, which runs in ONNX
    Runtime on the CPU, or TorchScript: the averaging is inside the exported graph)."""
    path = Path(path)
    if path.suffix.lower() == ".onnx" or (path.is_file() and is_torchscript(path)):
        module, metadata = load_exported(path)
        return ModelFile(module.to(device), metadata["class_names"], Preprocessing(**metadata["preprocessing"]),
                         metadata["meta"])
    payload = load_torch_file(path, "model file", "run `mcat train` (again) or pass --model")
    try:
        model = from_config(payload["model_config"])
        model.load_state_dict(payload["state_dict"])
        preprocessing = Preprocessing(**payload["preprocessing"])
    except (RuntimeError, KeyError, EOFError, ValueError, TypeError) as exc:
        raise McatError(f"{path} is not a usable mcat model file ({type(exc).__name__}: {exc}); retrain it") from None
    model = prepare(model, torch.device(device)).eval()
    plain = ModelFile(model, payload["class_names"], replace(preprocessing, tempo_averaging=(1.0,)),
                      payload["meta"], trained=model)
    return tempo_averaged(plain, preprocessing.tempo_averaging)


def tempo_averaged(model: ModelFile, factors: tuple[float, ...], *, fold: bool = True) -> ModelFile:
    """``model`` (one loaded from a ``model.pt``) scoring each window averaged over the speed ``factors``
    (:mod:`mcat.models.tempo`) instead of what it was trained with; ``(1,)``: the network alone. The scorer is
    the trained network with its batch norms folded (:func:`mcat.inference.fold_batch_norm`); ``fold=False``:
    as trained (the benches' reference)."""
    factors = tuple(float(f) for f in factors)
    network = model.network
    scorer = fold_batch_norm(network) if fold else network
    if factors != (1.0,):
        scorer = TempoAveraged(scorer, model.preprocessing.T, factors).to(device_of(network))
    return replace(model, model=scorer, trained=network,
                   preprocessing=replace(model.preprocessing, tempo_averaging=factors))


def check_windows(model: ModelFile, dataset: WindowDataset, model_path: Path) -> None:
    """Refuse windows cut otherwise than ``model`` was trained on (T, resolution, crop, classes)."""
    pre = model.preprocessing
    expected = (pre.T, pre.resolution, crop_name(pre.crop, pre.crop_margin), model.class_names)
    found = (dataset.T, dataset.resolution, crop_name(dataset.crop, dataset.crop_margin), dataset.class_names)
    if expected != found:
        raise McatError(f"{model_path} was trained on T={expected[0]}, {expected[1]}px, crop {expected[2]}, classes "
                        f"{expected[3]} but the windows have T={found[0]}, {found[1]}px, crop {found[2]}, classes "
                        f"{found[3]}: re-run the data stages with the model's params or retrain")
