"""Reading a model written by :mod:`mcat.models.export` back as a torch module: clips uint8 [B, 2, T, H, W] (and
keypoints float [B, T, K, 3] for a model that reads them) → logits float [B, C], like the eager model, so
evaluation, the speed test and prediction run it unchanged.

An ONNX file runs in ONNX Runtime (CPU); a TorchScript file in torch. Both carry the ``mcat`` metadata.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mcat.errors import McatError
from mcat.model_names import reads_pose
from mcat.models.export import INPUT_NAMES, METADATA_KEY, require_onnxruntime

FIX = "export it with `mcat export --model models/model.pt`"


class OnnxClassifier(nn.Module):
    """An ONNX Runtime session as a module: clips uint8 [B, 2, T, H, W] (and keypoints float [B, T, K, 3]) →
    logits float [B, C] on the clips' device (computed on the CPU). ``path``: the file the session runs."""

    def __init__(self, session, path: Path):
        super().__init__()
        self.session, self.path = session, path

    def forward(self, clips: torch.Tensor, pose: torch.Tensor | None = None) -> torch.Tensor:
        feeds = {"clips": clips.detach().to("cpu", torch.uint8).numpy()}
        if pose is not None:
            feeds["pose"] = pose.detach().to("cpu", torch.float32).numpy()
        logits = self.session.run(["logits"], feeds)[0]
        return torch.from_numpy(np.asarray(logits, np.float32)).to(clips.device)


def is_torchscript(path: Path) -> bool:
    """Whether ``path`` is a TorchScript archive (a zip with the ``code/`` of a scripted module)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any("/code/" in name for name in archive.namelist())


def _metadata(raw: str | None, path: Path) -> dict[str, Any]:
    try:
        metadata = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        metadata = None
    if not isinstance(metadata, dict) or not {"class_names", "preprocessing", "meta"} <= set(metadata):
        raise McatError(f"{path} was not exported by mcat (it has no '{METADATA_KEY}' metadata with class names "
                        f"and preprocessing): {FIX}")
    return metadata


def _check_input(path: Path, shape: list, metadata: dict[str, Any]) -> None:
    """Refuse a file whose graph takes other clips than its metadata describes."""
    pre = metadata["preprocessing"]
    expected = [2, pre["T"], pre["resolution"], pre["resolution"]]
    if [d if isinstance(d, int) else None for d in shape[1:]] != expected:
        shown = ", ".join(str(d) for d in shape)
        raise McatError(f"{path} takes clips [{shown}] but its metadata says [batch, {', '.join(map(str, expected))}] "
                        f"(T={pre['T']} frames at {pre['resolution']} px): it does not belong to this metadata; {FIX}")


def load_exported(path: Path) -> tuple[nn.Module, dict[str, Any]]:
    """The module (eval mode, CPU) and metadata of an ONNX (``.onnx``) or TorchScript file."""
    path = Path(path)
    if not path.is_file():
        raise McatError(f"{path} does not exist: {FIX}")
    if path.suffix.lower() == ".onnx":
        try:
            session = require_onnxruntime().InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own Fail/InvalidGraph/... types
            raise McatError(f"{path} is not a readable ONNX model ({str(exc).splitlines()[0][:160]}); {FIX}") from None
        metadata = _metadata(session.get_modelmeta().custom_metadata_map.get(METADATA_KEY), path)
        inputs = session.get_inputs()
        names = list(INPUT_NAMES[:2 if reads_pose(metadata["meta"].get("train", {}).get("input_mode", "")) else 1])
        if [i.name for i in inputs] != names or [o.name for o in session.get_outputs()] != ["logits"]:
            raise McatError(f"{path} does not take {' and '.join(names)} and give 'logits' as an mcat model of its "
                            f"metadata does; {FIX}")
        _check_input(path, inputs[0].shape, metadata)
        return OnnxClassifier(session, path).eval(), metadata
    extra = {f"{METADATA_KEY}.json": ""}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # TorchScript is deprecated upstream: see models.export
            module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    except Exception as exc:  # noqa: BLE001 - torch raises RuntimeError or others by damage
        raise McatError(f"{path} is not a readable TorchScript model ({type(exc).__name__}); {FIX}") from None
    return module.eval(), _metadata(extra[f"{METADATA_KEY}.json"], path)
