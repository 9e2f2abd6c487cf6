"""Params of the model stages: train (with augmentation), evaluate, experiments."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator

from mcat.config.base import Strict, positive_range
from mcat.model_names import INPUT_MODES, MODEL_NAMES


def _known_model(name: str) -> str:
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model '{name}'; choose one of {', '.join(MODEL_NAMES)}")
    return name


def _known_input_mode(mode: str) -> str:
    if mode not in INPUT_MODES:
        raise ValueError(f"unknown input mode '{mode}'; choose one of {', '.join(INPUT_MODES)}")
    return mode


ModelName = Annotated[str, AfterValidator(_known_model)]
InputMode = Annotated[str, AfterValidator(_known_input_mode)]


class AugmentParams(Strict):
    """Clip-consistent augmentation: one draw per clip, applied to every frame (geometry to both channels)."""

    hflip_p: float = Field(ge=0, le=1)
    crop_scale: tuple[float, float] = Field(description="random resized crop: area share, [low, high] in (0, 1]")
    crop_ratio: tuple[float, float] = Field(description="random resized crop: aspect ratio, [low, high]")
    brightness: tuple[float, float] = Field(description="gray only: multiply by a factor from [low, high]")
    contrast: tuple[float, float] = Field(description="gray only: scale around the clip mean by [low, high]")
    tempo: tuple[float, float] = Field(description="speed-invariant training: each clip played at a speed factor "
                                       "drawn log-uniformly from [low, high]; [1, 1] = off")
    mask_noise: float = Field(ge=0, le=1, description="share of clips whose masks get a segmenter's errors: "
                              "eroded or dilated edges, holes, missed parts, empty frames; 0 = off")
    pose_noise: float = Field(ge=0, le=1, description="share of clips whose keypoints get a pose model's errors: "
                              "misplaced joints, visibilities below one, frames where nobody is found; 0 = off")

    @field_validator("crop_scale")
    @classmethod
    def _scale(cls, v: tuple[float, float]) -> tuple[float, float]:
        if v[1] > 1:
            raise ValueError(f"crop_scale cannot exceed 1, got {list(v)}")
        return positive_range(v, "crop_scale")

    @field_validator("crop_ratio", "brightness", "contrast", "tempo")
    @classmethod
    def _ranges(cls, v: tuple[float, float], info) -> tuple[float, float]:
        return positive_range(v, info.field_name)


class TrainParams(Strict):
    """Training (``mcat train``); the defaults are section 4.2 of the paper."""

    model: ModelName
    input_mode: InputMode
    model_options: dict[str, Any] = Field(description="overrides of the model's defaults, e.g. {fusion: concat}")
    epochs: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    lr: float = Field(gt=0)
    weight_decay: float = Field(ge=0)
    betas: tuple[float, float]
    class_weight_beta: float = Field(ge=0, lt=1, description="effective-number beta; 0 gives uniform weights")
    augment: AugmentParams
    seed: int
    device: Literal["auto", "cpu", "cuda"]
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="the training step's arithmetic: bf16 autocast, or fp32; auto: bf16 on CUDA and on CPUs "
        "with AVX-512 BF16 or AMX, fp32 elsewhere (evaluation and prediction stay fp32 on the CPU)")
    tempo_averaging: tuple[float, ...] = Field(
        (1.0,), min_length=1, description="test-time tempo averaging, recorded in the model file: each window is also "
        "replayed at these speed factors (each in (0, 1]) around its label frame, the class probabilities averaged, "
        "in evaluation, the speed test, prediction and exports alike; [1] = off")
    workers: int = Field(ge=0, description="DataLoader worker processes")
    distributed_timeout_s: float = Field(gt=0, description="DDP: the longest wait for the other processes (joining, "
                                         "then at each collective step) before a clear error")

    @field_validator("tempo_averaging")
    @classmethod
    def _tempo_averaging(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not all(0 < f <= 1 for f in v) or len(set(v)) != len(v):
            raise ValueError(f"tempo_averaging takes distinct speed factors in (0, 1] (a window replayed slower "
                             f"around its label frame), got {list(v)}")
        return v

    @field_validator("betas")
    @classmethod
    def _betas(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not all(0 <= b < 1 for b in v):
            raise ValueError(f"betas must lie in [0, 1), got {list(v)}")
        return v


class EvaluateParams(Strict):
    """Evaluation (``mcat evaluate``)."""

    splits: list[str] = Field(min_length=1, description="splits to score, e.g. [val, test]")
    batch_size: int = Field(ge=1)



class ExperimentRun(Strict):
    """One configuration of the experiment matrix: a model on the same windows, trained once per seed."""

    model: ModelName
    input_mode: InputMode
    model_options: dict[str, Any] = Field(default_factory=dict)
    tempo: tuple[float, float] | None = Field(default=None, description="train.augment.tempo for this run "
                                              "(None: the params' own)")
    mask_noise: float | None = Field(default=None, ge=0, le=1, description="train.augment.mask_noise for this run "
                                     "(None: the params' own)")
    pose_noise: float | None = Field(default=None, ge=0, le=1, description="train.augment.pose_noise for this run "
                                     "(None: the params' own)")

    @field_validator("tempo")
    @classmethod
    def _tempo(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        return None if v is None else positive_range(v, "tempo")


class ExperimentsParams(Strict):
    """The experiment matrix (``mcat experiments``): every run trained with every seed, reported as the mean
    and the 95% t-interval over seeds."""

    runs: list[ExperimentRun] = Field(min_length=1)
    seeds: list[int] = Field(min_length=1, description="training seeds (initial weights, order, augmentation)")


class SpeedtestParams(Strict):
    """The speed stress test (``mcat speedtest``): recordings played faster or slower, then scored."""

    splits: list[str] = Field(min_length=1, description="splits whose recordings are played, e.g. [test]")
    factors: list[float] = Field(min_length=1, description="speed factors, ascending: 2 = twice as fast")
    batch_size: int = Field(ge=1)

    @field_validator("factors")
    @classmethod
    def _factors(cls, v: list[float]) -> list[float]:
        if any(not f > 0 for f in v):
            raise ValueError(f"every speed factor must be > 0 (2 plays a recording twice as fast), got {v}")
        if v != sorted(set(v)):
            raise ValueError(f"speed factors must be distinct and ascending, got {v}")
        return v
