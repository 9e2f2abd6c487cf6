"""Reading person masks shipped with a dataset: ``.npz``/``.npy`` arrays, a mask video, or a folder of PNGs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import cv2
import numpy as np

from mcat.data.video import read_frames
from mcat.errors import McatError

FORMATS = ".npz (array 'masks' [N, h, w]), .npy [N, h, w], a video, or a folder of PNG images"


def read_provided_masks(path: Path) -> np.ndarray:
    """Masks [N, h, w] as stored (non-zero = person); any supported format."""
    path = Path(path)
    if path.is_dir():
        images = sorted(path.glob("*.png"))
        if not images:
            raise McatError(f"mask folder {path} holds no .png images; masks may be {FORMATS}")
        return np.stack([_read_png(p) for p in images])
    if path.suffix in (".npz", ".npy"):
        masks = _read_array(path)
    else:
        masks = _read_mask_video(path)
    if masks.ndim != 3:
        raise McatError(f"masks {path} have shape {masks.shape}; expected [frames, height, width]")
    if not (np.issubdtype(masks.dtype, np.number) or masks.dtype == bool):
        raise McatError(f"masks {path} hold {masks.dtype} values; expected numbers (non-zero = person)")
    return masks


def _read_array(path: Path) -> np.ndarray:
    try:
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        with np.load(path, allow_pickle=False) as archive:
            if not archive.files:
                raise ValueError("the archive holds no array")
            return archive["masks" if "masks" in archive.files else archive.files[0]]
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        reason = "not a NumPy file" if "pickled" in str(exc) else str(exc)
        raise McatError(f"masks {path} cannot be read ({reason}); masks may be {FORMATS}") from None


def _read_png(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise McatError(f"mask image {path} cannot be read; masks may be {FORMATS}")
    return image


def _read_mask_video(path: Path) -> np.ndarray:
    # lossy codecs blur the edges of a 0/255 mask: threshold the luminance at half
    frames = [cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) > 127 for frame in read_frames(path)]
    if not frames:
        raise McatError(f"mask video {path} has no decodable frame; masks may be {FORMATS}")
    return np.stack(frames).astype(np.uint8)
