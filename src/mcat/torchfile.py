"""Reading a file written by ``torch.save`` (a model file or a training checkpoint), safely.

``torch.load(weights_only=True)`` only: no pickled code runs. Every way a file can be unusable (missing, random
bytes, truncated, another program's pickle, not a mapping) becomes one :class:`McatError` that names the file
and the fix — never torch's own advice to load it unsafely.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from mcat.errors import McatError


def load_torch_file(path: Path, what: str, fix: str) -> dict[str, Any]:
    """The mapping saved in ``path`` (tensors on the CPU); ``what`` names the file's kind in errors, ``fix`` says
    what to do about it."""
    path = Path(path)
    if not path.is_file():
        raise McatError(f"{what} {path} does not exist: {fix}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - UnpicklingError, RuntimeError, EOFError, ValueError, ... by damage
        raise McatError(f"{path} is not a readable {what} (damaged, truncated or not written by mcat: "
                        f"{type(exc).__name__}); {fix}") from None
    if not isinstance(payload, dict):
        raise McatError(f"{path} is not a {what} (it holds a {type(payload).__name__}); {fix}")
    return payload
