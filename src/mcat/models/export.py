"""Export for serving and edge use: ONNX (dynamic batch), checked against the eager model in onnxruntime.

ONNX rather than TorchScript: TorchScript is deprecated as of torch 2.13, while ONNX runs in
onnxruntime on servers, phones and browsers. Needs the ``export`` extra (onnx, onnxscript, onnxruntime).
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mcat.errors import McatError


def export_onnx(model: nn.Module, example: torch.Tensor, path: Path | str, *, atol: float = 1e-4) -> Path:
    """Export ``model`` (eval mode) traced on ``example`` uint8 [B, 2, T, H, W] to ONNX at ``path``.

    Input ``clips`` uint8 [batch, 2, T, H, W] with any batch; output ``logits`` float [batch, C]. The file is
    checked in onnxruntime on a batch of another size before it is moved into place; a mismatch larger
    than ``atol`` raises ``McatError``.
    """
    try:
        import onnxruntime as ort
    except ImportError:
        raise McatError("ONNX export needs onnx, onnxscript and onnxruntime: pip install 'mcat[export]'") from None
    model = model.eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    quiet = logging.getLogger("torch.onnx")
    level = quiet.level
    try:
        quiet.setLevel(logging.ERROR)  # "torchvision is not installed" notes are not ours to show
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (example,), str(tmp), input_names=["clips"], output_names=["logits"],
                              dynamic_shapes={"clips": {0: "batch"}}, dynamo=True, external_data=False)
        probe = torch.cat([example, example[:1]])
        session = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
        got = session.run(None, {"clips": probe.numpy()})[0]
        with torch.no_grad():
            expected = model(probe).numpy()
        error = float(np.abs(got - expected).max())
        if error > atol:
            name = getattr(model, "config", {}).get("name", type(model).__name__)
            raise McatError(f"ONNX export of {name} differs from the eager model by {error:.2e} (> {atol})")
        tmp.replace(path)
    finally:
        quiet.setLevel(level)
        tmp.unlink(missing_ok=True)
    return path
