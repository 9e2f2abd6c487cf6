"""LiteRT (Google's TFLite runtime, with XNNPACK) for the MediaPipe models: an interpreter on the cores this
process may use, with its native INFO line silenced and its failures as one line."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Iterator

import cv2

from mcat.errors import McatError


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """LiteRT's C++ logger prints "INFO: Created TensorFlow Lite XNNPACK delegate" on file descriptor 2 for every
    interpreter and has no switch for it; failures still come back as Python exceptions."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def cores() -> int:
    """The cores this process may use, a container's CPU quota included (OpenCV's thread count)."""
    return max(1, cv2.getNumThreads())


def interpreter(path: Path, *, needs: str, otherwise: str, threads: int | None = None):
    """A ready LiteRT interpreter of the ``.tflite`` file at ``path`` on ``threads`` threads (None: :func:`cores`).
    ``needs``: the model it must be (for the error); ``otherwise``: what to do on a platform without the
    ai-edge-litert wheel."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise McatError(f"LiteRT needs the ai-edge-litert package (pip install ai-edge-litert), which has no wheel "
                        f"for this platform; {otherwise}") from None
    try:
        with _native_stderr_silenced():
            runner = Interpreter(model_path=str(path), num_threads=threads or cores())
            runner.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise McatError(f"LiteRT cannot load {path} as a TFLite model ({str(exc).strip().splitlines()[0]}); it "
                        f"needs {needs}") from None
    return runner
