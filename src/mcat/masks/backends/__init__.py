"""Person segmenters behind one interface; ``make_segmenter(params)`` picks one from ``masks.backend``.

Every segmenter maps BGR frames uint8 [B, H, W, 3] to person masks uint8 {0, 1} [B, H, W] at the same size, or,
given a :class:`~mcat.data.framing.Framing`, fitted into its [B, R, R] (all that ingest, ``mcat masks`` and predict
keep: a segmenter with its own working resolution, as selfie, then never draws a mask at the frames' full size),
and keeps whatever state it needs across the frames of one recording (``reset()`` starts a new one).
Heavy imports (ultralytics) happen only when that backend is chosen.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from mcat.config import MasksParams
from mcat.data.framing import Framing
from mcat.data.video import resize_masks
from mcat.errors import McatError


class Segmenter(Protocol):
    def reset(self) -> None: ...

    def segment(self, frames: np.ndarray, framing: Framing | None = None) -> np.ndarray: ...


def fitted(masks: np.ndarray, framing: Framing | None) -> np.ndarray:
    """Masks uint8 [B, H, W] as a segmenter hands them out: as they are without ``framing``, else fitted [B, R, R]."""
    return masks if framing is None else resize_masks(masks, framing)


SELFIE_VARIANTS = {"general": {"landscape_model": ""}, "whole": {"follow": False}}


def backend_settings(params: MasksParams, choice: str) -> MasksParams:
    """``params`` with ``backend`` = ``choice``; ``selfie:litert`` / ``selfie:opencv`` also pick the selfie runtime,
    followed by any of ``:general`` (the general model on every frame, wide ones too) and ``:whole`` (every frame
    read whole, not following the person): the benches put them side by side."""
    backend, *options = choice.split(":")
    params = params.model_copy(update={"backend": backend})
    if options:
        runtime, *variants = options
        unknown = [v for v in variants if v not in SELFIE_VARIANTS]
        if backend != "selfie" or runtime not in ("litert", "opencv") or unknown:
            raise McatError(f"unknown backend choice '{choice}': selfie:RUNTIME[:general][:whole], or a backend name")
        update = {"runtime": runtime}
        for variant in variants:
            update |= SELFIE_VARIANTS[variant]
        params = params.model_copy(update={"selfie": params.selfie.model_copy(update=update)})
    return params


def make_segmenter(params: MasksParams, threads: int | None = None) -> Segmenter:
    """The segmenter of ``params.backend`` (not ``provided``); ``threads``: the LiteRT threads of ``selfie``'s models
    (None: every core)."""
    if params.backend == "selfie":
        from mcat.masks.backends.selfie import SelfieSegmenter

        return SelfieSegmenter(params.selfie, threads)
    if params.backend == "background":
        from mcat.masks.backends.background import BackgroundSegmenter

        return BackgroundSegmenter(params.background)
    if params.backend == "yolo":
        from mcat.masks.backends.yolo import YoloSegmenter

        return YoloSegmenter(params.yolo, batch_size=params.batch_size)
    raise ValueError(f"backend '{params.backend}' reads no video")
