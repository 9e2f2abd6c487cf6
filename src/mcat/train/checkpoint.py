"""Training state saved after every epoch, so that an interrupted run resumes where it stopped.

A checkpoint holds the model, optimizer and scheduler states, the epoch, the best weights so far, the
history and the MLflow run id, plus a ``recipe`` digest (params + data): it is resumed only by a run
with the same recipe. Everything is tensors and plain Python, loadable with ``weights_only=True``.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import torch

from mcat.atomic import atomic_file
from mcat.errors import McatError
from mcat.torchfile import load_torch_file


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    with atomic_file(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: Path, recipe: str) -> dict[str, Any] | None:
    """The saved state when ``path`` exists and was made with the same ``recipe``, else None. A damaged
    checkpoint is set aside (``<name>.damaged``) with a warning, and training starts afresh."""
    if not Path(path).is_file():
        return None
    try:
        state = load_torch_file(path, "training checkpoint", "it was set aside and training starts afresh")
    except McatError as exc:
        with contextlib.suppress(FileNotFoundError):  # another process of a distributed run set it aside first
            Path(path).replace(Path(path).with_name(Path(path).name + ".damaged"))
        print(f"mcat train: warning: {exc}", file=sys.stderr)
        return None
    return state if state.get("recipe") == recipe else None
