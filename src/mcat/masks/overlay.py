"""A small picture per recording — a few frames with the mask drawn over them — for a person to check."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mcat.atomic import atomic_file

TILE = 160  # pixels per frame in the picture


def overlay_png(frames: np.ndarray, masks: np.ndarray, count: int, path: Path) -> None:
    """``count`` evenly spaced frames of gray frames uint8 [N, R, R] with masks [N, R, R]: person tinted red,
    outline green, frame index in the corner."""
    picks = np.linspace(0, len(frames) - 1, count).round().astype(int)
    tiles = []
    for i in picks:
        gray = cv2.resize(np.asarray(frames[i]), (TILE, TILE), interpolation=cv2.INTER_NEAREST)
        mask = cv2.resize(np.asarray(masks[i], np.uint8), (TILE, TILE), interpolation=cv2.INTER_NEAREST)
        tile = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        tile[mask > 0] = (0.6 * tile[mask > 0] + [0, 0, 0.4 * 255]).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(tile, contours, -1, (0, 255, 0), 1)
        cv2.putText(tile, str(int(i)), (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 0), 1)
        tiles.append(tile)
    with atomic_file(path) as tmp:
        cv2.imwrite(str(tmp), np.hstack(tiles))
