"""Training state saved after every epoch, so that an interrupted run resumes where it stopped.

A checkpoint holds the model, optimizer and scheduler states, the epoch, the best weights so far, the
history and the MLflow run id, plus a ``recipe`` digest (params + data): it is resumed only by a run
with the same recipe. Everything is tensors and plain Python, loadable with ``weights_only=True``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from mcat.atomic import atomic_file


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    with atomic_file(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: Path, recipe: str) -> dict[str, Any] | None:
    """The saved state when ``path`` exists and was made with the same ``recipe``, else None."""
    if not Path(path).is_file():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    return state if state.get("recipe") == recipe else None
