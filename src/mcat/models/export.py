"""Writing a model as one file for serving and the edge: ONNX fp32 (dynamic batch, checked against the eager
model in onnxruntime), ONNX int8 (ONNX Runtime quantization, static or dynamic) and TorchScript.

Each file carries a JSON ``metadata`` (class names, preprocessing, ...) under the key ``mcat``: an ONNX
``metadata_props`` entry, a TorchScript extra file ``mcat.json``; :mod:`mcat.models.exported` reads it back.
ONNX needs the ``export`` extra (onnx, onnxscript, onnxruntime). TorchScript is deprecated upstream as of
torch 2.13 (``torch.jit.trace`` warns) but is what LibTorch and PyTorch Mobile apps load; ONNX is the default.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import torch
from torch import nn

from mcat.errors import McatError

METADATA_KEY = "mcat"


def require_onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise McatError("ONNX files need onnx, onnxscript and onnxruntime: pip install 'mcat[export]'") from None
    return onnxruntime


@contextlib.contextmanager
def _quiet():
    """Torch's exporters' notes and deprecation warnings are not ours to show."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    try:
        logger.setLevel(logging.ERROR)
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _check(path: Path, model: nn.Module, example: torch.Tensor, atol: float) -> None:
    """Raise when the ONNX file's logits on a batch of another size than ``example``'s differ from the model's."""
    probe = torch.cat([example, example[:1]])
    session = require_onnxruntime().InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"clips": probe.numpy()})[0]
    with torch.no_grad():
        expected = model(probe).numpy()
    error = float(np.abs(got - expected).max())
    if error > atol:
        name = getattr(model, "config", {}).get("name", type(model).__name__)
        raise McatError(f"ONNX export of {name} differs from the eager model by {error:.2e} (> {atol})")


def _set_metadata(path: Path, metadata: dict[str, Any]) -> None:
    import onnx

    proto = onnx.load(str(path))
    del proto.metadata_props[:]
    proto.metadata_props.add(key=METADATA_KEY, value=json.dumps(metadata))
    onnx.save(proto, str(path))


def export_onnx(model: nn.Module, example: torch.Tensor, path: Path | str, *, atol: float = 1e-4,
                metadata: dict[str, Any] | None = None) -> Path:
    """Export ``model`` (eval mode) traced on ``example`` uint8 [B, 2, T, H, W] to ONNX at ``path``.

    Input ``clips`` uint8 [batch, 2, T, H, W] with any batch; output ``logits`` float [batch, C]. The file is
    checked in onnxruntime on a batch of another size before it is moved into place; a mismatch larger
    than ``atol`` raises ``McatError``.
    """
    require_onnxruntime()
    model = model.eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with _quiet():
            torch.onnx.export(model, (example,), str(tmp), input_names=["clips"], output_names=["logits"],
                              dynamic_shapes={"clips": {0: "batch"}}, dynamo=True, external_data=False)
        if metadata is not None:
            _set_metadata(tmp, metadata)
        _check(tmp, model, example, atol)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


class _Calibration:
    """ONNX Runtime's CalibrationDataReader over batches of clips uint8 [B, 2, T, H, W]."""

    def __init__(self, batches: Iterable[np.ndarray]):
        self.batches = iter(batches)

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self.batches, None)
        return None if batch is None else {"clips": batch}


def quantize_onnx(fp32: Path, path: Path, mode: str, calibration: Iterable[np.ndarray] = (),
                  metadata: dict[str, Any] | None = None) -> Path:
    """An int8 copy at ``path`` of the fp32 ONNX file ``fp32``.

    ``dynamic``: the transformer's matmuls and linear layers (nearly all of MCAT's weights) with int8
    weights and activation ranges computed per batch at run time; the encoders' convolutions stay fp32 — as
    int8 they cost MCAT 6 macro-F1 points (static) or run slower than fp32 (dynamic ConvInteger), measured in
    docs/performance.md. ``static``: everything in int8 (QDQ format), weights per channel, activation ranges
    calibrated (min-max) on ``calibration``, batches of clips uint8 [B, 2, T, H, W].
    """
    require_onnxruntime()
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    path = Path(path)
    prepared = path.with_name(f".{path.name}.pre.tmp")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with _quiet(), contextlib.redirect_stderr(io.StringIO()):
            quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
            if mode == "static":
                quantize_static(str(prepared), str(tmp), _Calibration(calibration), quant_format=QuantFormat.QDQ,
                                per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
            else:
                quantize_dynamic(str(prepared), str(tmp), weight_type=QuantType.QInt8,
                                 op_types_to_quantize=["MatMul", "Gemm"])
        if metadata is not None:
            _set_metadata(tmp, metadata)
        tmp.replace(path)
    finally:
        prepared.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return path


def export_torchscript(model: nn.Module, example: torch.Tensor, path: Path | str, *, atol: float = 1e-4,
                       metadata: dict[str, Any] | None = None) -> Path:
    """``model`` traced on ``example`` uint8 [B, 2, T, H, W] as TorchScript at ``path`` (loadable with
    ``torch.jit.load`` in Python or LibTorch), checked on a batch of another size like :func:`export_onnx`."""
    model = model.eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with _quiet(), torch.no_grad():
            traced = torch.jit.trace(model, (example,), check_trace=False)
            extra = {f"{METADATA_KEY}.json": json.dumps(metadata or {})}
            torch.jit.save(traced, str(tmp), _extra_files=extra)
            probe = torch.cat([example, example[:1]])
            error = float((torch.jit.load(str(tmp))(probe) - model(probe)).abs().max())
        if error > atol:
            raise McatError(f"TorchScript export differs from the eager model by {error:.2e} (> {atol})")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
