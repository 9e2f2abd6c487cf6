"""Writing a model as one file for serving and the edge: ONNX fp32 (dynamic batch, checked against the eager
model in onnxruntime), ONNX int8 (ONNX Runtime quantization, static or dynamic) and TorchScript.

Each file carries a JSON ``metadata`` (class names, preprocessing, ...) under the key ``mcat``: an ONNX
``metadata_props`` entry, a TorchScript extra file ``mcat.json``; :mod:`mcat.models.exported` reads it back.
ONNX needs the ``export`` extra (onnx, onnxscript, onnxruntime). TorchScript is deprecated upstream as of
torch 2.13 (``torch.jit.trace`` warns) but is what LibTorch and PyTorch Mobile apps load; ONNX is the default.
"""

from __future__ import annotations

import contextlib
import copy
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
from mcat.models.encoder import in_the_papers_order

METADATA_KEY = "mcat"
#: the graph's inputs in the models' argument order: clips uint8 [B, 2, T, H, W], and keypoints float [B, T, K, 3]
#: for the models that read them
INPUT_NAMES = ("clips", "pose")
Inputs = torch.Tensor | tuple[torch.Tensor, ...]


def as_inputs(example: Inputs) -> tuple[torch.Tensor, ...]:
    """A model's inputs as a tuple: (clips,) or (clips, pose)."""
    return tuple(example) if isinstance(example, (tuple, list)) else (example,)


def _grown(inputs: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """The inputs with their first sample again at the end: a batch of another size than the traced one."""
    return tuple(torch.cat([x, x[:1]]) for x in inputs)


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


def _check(path: Path, model: nn.Module, example: tuple[torch.Tensor, ...], atol: float) -> None:
    """Raise when the ONNX file's logits on a batch of another size than ``example``'s differ from the model's."""
    probe = _grown(example)
    session = require_onnxruntime().InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {name: x.numpy() for name, x in zip(INPUT_NAMES, probe)})[0]
    with torch.no_grad():
        expected = model(*probe).numpy()
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


def export_onnx(model: nn.Module, example: Inputs, path: Path | str, *, atol: float = 1e-4,
                metadata: dict[str, Any] | None = None) -> Path:
    """Export ``model`` (eval mode) traced on ``example`` — clips uint8 [B, 2, T, H, W], or (clips, keypoints
    float [B, T, K, 3]) for a model that reads them — to ONNX at ``path``.

    Inputs ``clips`` uint8 [batch, 2, T, H, W] (and ``pose`` float [batch, T, K, 3]) with any batch; output
    ``logits`` float [batch, C]. The file is checked in onnxruntime on a batch of another size before it is
    moved into place; a mismatch larger than ``atol`` raises ``McatError``. The graph is a copy of ``model`` with its
    frame encoders in the paper's block order (:func:`~mcat.models.encoder.in_the_papers_order`: the same function,
    each ReLU next to its convolution, which ONNX Runtime fuses and int8 quantizes best).
    """
    require_onnxruntime()
    model, example = in_the_papers_order(copy.deepcopy(model.eval())), as_inputs(example)
    names = list(INPUT_NAMES[:len(example)])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with _quiet():
            torch.onnx.export(model, example, str(tmp), input_names=names, output_names=["logits"],
                              dynamic_shapes={name: {0: "batch"} for name in names}, dynamo=True, external_data=False)
        if metadata is not None:
            _set_metadata(tmp, metadata)
        _check(tmp, model, example, atol)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


class _Calibration:
    """ONNX Runtime's CalibrationDataReader over batches of inputs: (clips uint8 [B, 2, T, H, W],) or (clips,
    keypoints float32 [B, T, K, 3])."""

    def __init__(self, batches: Iterable[tuple[np.ndarray, ...]]):
        self.batches = iter(batches)

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self.batches, None)
        return None if batch is None else dict(zip(INPUT_NAMES, batch))


def quantize_onnx(fp32: Path, path: Path, mode: str, calibration: Iterable[tuple[np.ndarray, ...]] = (),
                  metadata: dict[str, Any] | None = None) -> Path:
    """An int8 copy at ``path`` of the fp32 ONNX file ``fp32``.

    ``dynamic``: the transformer's matmuls and linear layers (nearly all of MCAT's weights) with int8
    weights and activation ranges computed per batch at run time; the encoders' convolutions stay fp32 — as
    int8 they cost MCAT 6 macro-F1 points (static) or run slower than fp32 (dynamic ConvInteger), measured in
    docs/performance.md. ``static``: everything in int8 (QDQ format), weights per channel, activation ranges
    calibrated (min-max) on ``calibration``, batches of the model's inputs (:class:`_Calibration`).
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


def export_torchscript(model: nn.Module, example: Inputs, path: Path | str, *, atol: float = 1e-4,
                       metadata: dict[str, Any] | None = None) -> Path:
    """``model`` traced on ``example`` (the inputs of :func:`export_onnx`) as TorchScript at ``path`` (loadable
    with ``torch.jit.load`` in Python or LibTorch), checked on a batch of another size like :func:`export_onnx`."""
    model, example = model.eval(), as_inputs(example)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with _quiet(), torch.no_grad():
            traced = torch.jit.trace(model, example, check_trace=False)
            extra = {f"{METADATA_KEY}.json": json.dumps(metadata or {})}
            torch.jit.save(traced, str(tmp), _extra_files=extra)
            probe = _grown(example)
            error = float((torch.jit.load(str(tmp))(*probe) - model(*probe)).abs().max())
        if error > atol:
            raise McatError(f"TorchScript export differs from the eager model by {error:.2e} (> {atol})")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
