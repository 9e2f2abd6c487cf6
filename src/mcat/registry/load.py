"""A model by reference: a registry or run URI (``models:/name@champion``, ``runs:/id/...``) or a file."""

from __future__ import annotations

from pathlib import Path

import torch

from mcat.errors import McatError
from mcat.inference import prepare
from mcat.modelfile import ModelFile, load_model_file


def load_model(ref: str, device: torch.device) -> ModelFile:
    """The model ``ref`` names, on ``device``: an MLflow URI through the served pyfunc, or a file ``mcat train``
    or ``mcat export`` wrote."""
    if ref.startswith(("models:/", "runs:/")):
        import mlflow

        from mcat.tracking import tracking_uri

        mlflow.set_tracking_uri(tracking_uri())
        try:
            loaded = mlflow.pyfunc.load_model(ref).unwrap_python_model().loaded
        except Exception as exc:  # noqa: BLE001 - MLflow raises many types for a missing model
            raise McatError(f"cannot load {ref} from {tracking_uri()}: {str(exc).splitlines()[0][:200]}") from None
        prepare(loaded.model, device)
        return loaded
    return load_model_file(Path(ref), device)
