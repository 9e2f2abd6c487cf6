"""The shared base of every params section: strict and frozen.

Strict means: an unknown key is an error, and a value must already have its field's type (``true`` is not a
number, ``6.0`` is not an epoch count, ``.inf``/``.nan`` are not numbers at all). Params are validated from
JSON (see :func:`mcat.config.loader.load_params`), where a list is a valid tuple.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def ordered_range(value: tuple, name: str) -> tuple:
    if value[0] > value[1]:
        raise ValueError(f"{name} must be [low, high] with low <= high, got {list(value)}")
    return value


def positive_range(v: tuple[float, float], name: str) -> tuple[float, float]:
    if v[0] <= 0:
        raise ValueError(f"{name} must be positive, got {list(v)}")
    return ordered_range(v, name)
