"""``models/model.pt``: weights with everything needed to use them (model config, class names,
preprocessing), loadable with ``torch.load(weights_only=True)``. Torch only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mcat.atomic import atomic_file
from mcat.errors import McatError
from mcat.models import from_config


@dataclass(frozen=True)
class ModelFile:
    model: nn.Module
    class_names: list[str]
    preprocessing: dict[str, Any]  # resolution, T, stride, label_frame
    meta: dict[str, Any]  # metrics, mlflow_run_id, data_digest, train params


def save_model_file(path: Path, model: nn.Module, state_dict: dict, *, class_names: list[str],
                    preprocessing: dict, meta: dict) -> None:
    payload = {"format": "mcat-model/1", "model_config": dict(model.config), "state_dict": state_dict,
               "class_names": list(class_names), "preprocessing": preprocessing, "meta": meta}
    with atomic_file(path) as tmp:
        torch.save(payload, tmp)


def load_model_file(path: Path, device: torch.device | str = "cpu") -> ModelFile:
    """The model (eval mode, on ``device``) and its metadata."""
    path = Path(path)
    if not path.is_file():
        raise McatError(f"model file {path} does not exist: run `mcat train` first or pass --model")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        model = from_config(payload["model_config"])
        model.load_state_dict(payload["state_dict"])
    except (RuntimeError, KeyError, EOFError, ValueError) as exc:
        raise McatError(f"{path} is not a usable mcat model file ({type(exc).__name__}: {exc}); retrain it") from None
    return ModelFile(model.to(device).eval(), payload["class_names"], payload["preprocessing"], payload["meta"])
