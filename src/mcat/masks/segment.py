"""The one decode-and-segment loop: a video's frames through a segmenter, on the model's clock and at its
resolution."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from mcat.data.framing import Framing
from mcat.data.video import bgr_batches, check_decoded, gray_frame, probe
from mcat.masks.backends import Segmenter


def segment_video(segmenter: Segmenter, video: Path, framing: Framing, batch_size: int, *, n_frames: int | None = None,
                  expected_from: str = "its container announces",
                  with_gray: bool = False, then: Callable[[np.ndarray, np.ndarray], None] | None = None,
                  ) -> tuple[np.ndarray | None, np.ndarray]:
    """Decode ``video`` once on the framing's clock (its first ``n_frames`` clock frames, or all) and segment
    it in batches; ``then`` is called with each batch, BGR uint8 [B, H, W, 3], and its fitted masks uint8
    [B, R, R] (a pose estimator reads the same decode).

    Returns (gray frames uint8 [N, R, R] when ``with_gray`` else None, masks uint8 {0,1} [N, R, R]), both
    fitted by ``framing``; the segmenter sees each frame at the video's own size. A decode that comes up
    short of ``n_frames`` (or of nothing at all) raises the errors of :func:`mcat.data.video.check_decoded`.
    """
    segmenter.reset()
    grays, masks = [], []
    step = framing.step(probe(video).checked_fps(video))
    with tqdm(total=n_frames, desc=Path(video).name, unit="frame", leave=False, disable=None) as bar:
        for batch in bgr_batches(video, batch_size, n_frames, step):
            if with_gray:
                grays.append(np.stack([gray_frame(f, framing) for f in batch]))
            masks.append(segmenter.segment(batch, framing))
            if then is not None:
                then(batch, masks[-1])
            bar.update(len(batch))
    check_decoded(video, sum(map(len, masks)), n_frames or 0, expected_from)
    return (np.concatenate(grays) if with_gray else None), np.concatenate(masks)
