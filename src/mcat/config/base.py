"""The shared base of every params section: strict (unknown keys are errors) and frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def ordered_range(value: tuple, name: str) -> tuple:
    if value[0] > value[1]:
        raise ValueError(f"{name} must be [low, high] with low <= high, got {list(value)}")
    return value


def positive_range(v: tuple[float, float], name: str) -> tuple[float, float]:
    if v[0] <= 0:
        raise ValueError(f"{name} must be positive, got {list(v)}")
    return ordered_range(v, name)
