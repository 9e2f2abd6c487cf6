"""The pictures of ``mcat explain``: a window's frames × {gray, mask, CAM overlays} grid, and a cross-attention
heat map."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mcat.evaluate.plots import pyplot

TILE = 96  # pixels a frame is drawn at, whatever the model's resolution


def overlay(frames: np.ndarray, cams: np.ndarray) -> np.ndarray:
    """uint8 RGB [T, H, W, 3]: ``cams`` float [T, H, W] in [0, 1] as a JET heat map over ``frames`` float
    [T, H, W] in [0, 1] (grad-cam's ``show_cam_on_image``)."""
    from pytorch_grad_cam.utils.image import show_cam_on_image

    return np.stack([show_cam_on_image(np.repeat(frame[..., None], 3, axis=2), cam, use_rgb=True)
                     for frame, cam in zip(frames, cams)])


def _strip(tiles: np.ndarray) -> np.ndarray:
    """One row of the grid: uint8 [T, H, W] or [T, H, W, 3] → [TILE, T·TILE, 3], nearest-neighbour enlarged."""
    if tiles.ndim == 3:
        tiles = np.repeat(tiles[..., None], 3, axis=3)
    scale = max(1, TILE // tiles.shape[1])
    tiles = tiles.repeat(scale, axis=1).repeat(scale, axis=2)
    return np.concatenate(list(tiles), axis=1)


def window_png(path: Path, gray: np.ndarray, mask: np.ndarray, maps: dict[str, np.ndarray], title: str) -> None:
    """The grid: a row of gray frames, a row of masks, then one row per map (``maps``: row label → CAM float
    [T, H, W]; streams named ``mask`` are drawn over the mask, the others over the gray frames).
    ``gray`` uint8 [T, H, W], ``mask`` {0, 1} [T, H, W]."""
    plt = pyplot()
    gray_f, mask_f = gray.astype(np.float32) / 255.0, mask.astype(np.float32)
    rows = [("frames", _strip(gray)), ("person mask", _strip((mask * 255).astype(np.uint8)))]
    rows += [(label, _strip(overlay(mask_f if label.endswith(": mask") else gray_f, cams)))
             for label, cams in maps.items()]
    grid = np.concatenate([row for _, row in rows], axis=0)
    height = grid.shape[0] / grid.shape[1]
    fig, ax = plt.subplots(figsize=(14, 14 * height + 0.8), constrained_layout=True)
    ax.imshow(grid)
    tile = grid.shape[0] // len(rows)
    ax.set_yticks([tile * (i + 0.5) for i in range(len(rows))], [label for label, _ in rows], fontsize=9)
    ax.set_xticks([tile * (t + 0.5) for t in range(len(gray))], range(len(gray)), fontsize=7)
    ax.set_xlabel("frame of the window")
    ax.set_title(title, fontsize=10)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def attention_png(path: Path, weights: dict[str, np.ndarray], title: str) -> None:
    """One heat map per model: ``weights`` model label → α float [T, S] (row t: appearance frame t's attention
    over the mask frames s, then, for a model that reads keypoints, over the pose frames: S = 2T)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(weights), figsize=(4.6 * len(weights), 4.4), squeeze=False,
                             constrained_layout=True)
    for ax, (label, alpha) in zip(axes[0], weights.items()):
        image = ax.imshow(alpha, cmap="viridis", vmin=0)
        ax.set_xticks(range(0, alpha.shape[1], 2))
        ax.set_yticks(range(0, len(alpha), 2))
        ax.set_xlabel("mask frame s (keys, values)" if alpha.shape[1] == len(alpha) else
                      f"mask frames 0-{len(alpha) - 1}, then pose frames (keys, values)")
        if alpha.shape[1] > len(alpha):
            ax.axvline(len(alpha) - 0.5, color="white", linewidth=1)
        ax.set_ylabel("appearance frame t (queries)")
        ax.set_title(label, fontsize=9)
        fig.colorbar(image, ax=ax, shrink=0.8, label="attention weight")
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=100)
    plt.close(fig)
