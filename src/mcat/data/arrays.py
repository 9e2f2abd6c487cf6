"""The one integrity check for the stored ``.npy`` arrays (frames, labels, masks).

Every stage that opens a stored array goes through :func:`open_array`, so a damaged file (truncated, random
bytes, another array's shape) is named with its fix instead of surfacing as numpy's own error; the stages that
write arrays ask :func:`array_problem` before trusting an existing file and rebuild it when it is damaged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mcat.errors import McatError

NPY_MAGIC = b"\x93NUMPY"

Shape = tuple[int | None, ...]  # None: any size along that axis


def _load(path: Path) -> np.ndarray:
    with open(path, "rb") as f:
        magic = f.read(len(NPY_MAGIC))
    if magic != NPY_MAGIC:
        raise ValueError("not a NumPy .npy file")
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"truncated or corrupt: {exc}") from None


def _shape_problem(array: np.ndarray, dtype: np.dtype | type, shape: Shape) -> str | None:
    if array.dtype != np.dtype(dtype):
        return f"dtype {array.dtype}, expected {np.dtype(dtype)}"
    if array.ndim != len(shape) or any(want is not None and got != want for got, want in zip(array.shape, shape)):
        expected = "[" + ", ".join("*" if n is None else str(n) for n in shape) + "]"
        return f"shape {list(array.shape)}, expected {expected}"
    return None


def _check(path: Path, dtype: np.dtype | type, shape: Shape) -> tuple[np.ndarray | None, str | None]:
    path = Path(path)
    if not path.is_file():
        return None, "missing"
    try:
        array = _load(path)
    except (ValueError, OSError) as exc:
        return None, str(exc)
    return array, _shape_problem(array, dtype, shape)


def array_problem(path: Path, dtype: np.dtype | type, shape: Shape) -> str | None:
    """What is wrong with the array at ``path`` (missing, unreadable, wrong dtype or shape), or None."""
    return _check(path, dtype, shape)[1]


def open_array(path: Path, dtype: np.dtype | type, shape: Shape, fix: str) -> np.ndarray:
    """The array at ``path``, memory-mapped, after the integrity check; a :class:`McatError` naming the file,
    the problem and ``fix`` (e.g. "run `mcat masks` again") otherwise."""
    array, problem = _check(path, dtype, shape)
    if problem == "missing":
        raise McatError(f"{path} is missing: {fix}")
    if problem is not None:
        raise McatError(f"{path} is damaged ({problem}): {fix}")
    return array
