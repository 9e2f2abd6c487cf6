"""Validated parameters: ``params.yaml`` (the single source of defaults), an optional preset, ``-S`` overrides.

Precedence, lowest first: the params file, ``presets/<name>.yaml`` beside it, ``-S key.path=value``.
An unknown key, a wrong type or an impossible value is a :class:`McatError` naming the key, the value
and the file it came from.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mcat.errors import McatError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _ordered_range(value: tuple, name: str) -> tuple:
    if value[0] > value[1]:
        raise ValueError(f"{name} must be [low, high] with low <= high, got {list(value)}")
    return value


class DomainParams(_Strict):
    """How one recording domain executes reps (the speed shift lives here)."""

    tempo: float = Field(gt=0, le=10, description="speed relative to the exercise's base (slow) tempo")
    tempo_jitter: float = Field(ge=0, lt=1, description="relative std of each rep's duration")
    rom: tuple[float, float] = Field(description="range of motion per rep, fraction of full, [low, high]")
    skew: float = Field(ge=0, lt=0.5, description="max asymmetry between the down and up phase of a rep")

    @field_validator("rom")
    @classmethod
    def _rom(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not (0 < v[0] <= 1 and 0 < v[1] <= 1):
            raise ValueError(f"rom values must lie in (0, 1], got {list(v)}")
        return _ordered_range(v, "rom")


class SplitParams(_Strict):
    recordings: int = Field(ge=0)
    domain: str


class SynthParams(_Strict):
    """The synthetic speed-shift dataset (``mcat synth``)."""

    seed: int
    fps: float = Field(gt=0, le=240)
    width: int = Field(ge=32, le=1920)
    height: int = Field(ge=32, le=1080)
    splits: dict[str, SplitParams]
    domains: dict[str, DomainParams]
    exercises: list[str] = Field(min_length=1, description="exercise names; non_activity is always present")
    sets_per_recording: int = Field(ge=1)
    reps_per_set: tuple[int, int]
    rest_seconds: tuple[float, float]
    transition_seconds: float = Field(gt=0)
    noise_std: float = Field(ge=0, le=64)
    distractors: int = Field(ge=0, le=8)
    lighting_drift: float = Field(ge=0, le=0.5)

    @field_validator("reps_per_set")
    @classmethod
    def _reps(cls, v: tuple[int, int]) -> tuple[int, int]:
        if v[0] < 1:
            raise ValueError(f"reps_per_set must be at least 1, got {list(v)}")
        return _ordered_range(v, "reps_per_set")

    @field_validator("rest_seconds")
    @classmethod
    def _rest(cls, v: tuple[float, float]) -> tuple[float, float]:
        if v[0] < 0:
            raise ValueError(f"rest_seconds must be >= 0, got {list(v)}")
        return _ordered_range(v, "rest_seconds")

    @field_validator("exercises")
    @classmethod
    def _exercises(cls, v: list[str]) -> list[str]:
        from mcat.synth.exercises import EXERCISES

        unknown = [name for name in v if name not in EXERCISES]
        if unknown:
            raise ValueError(f"unknown exercises {unknown}; known: {sorted(EXERCISES)}")
        return v

    @model_validator(mode="after")
    def _split_domains(self) -> "SynthParams":
        for split, sp in self.splits.items():
            if sp.domain not in self.domains:
                raise ValueError(f"splits.{split}.domain '{sp.domain}' is not one of domains {sorted(self.domains)}")
        return self


class MmfitParams(_Strict):
    frame_index: Literal["pose", "video"] = Field(
        description="pose: label frame numbers are the camera frame ids in wNN_pose_2d.npy[0, :, 0] "
        "(row i = video frame i); video: they are video frame positions"
    )
    video_glob: str = Field(min_length=1, description="the workout's video inside wNN/, e.g. '*.mp4'")


class IngestParams(_Strict):
    """Reading a dataset into the frame store (``mcat ingest``)."""

    source: str = Field(min_length=1, description="dataset root: a local path or s3://bucket/prefix")
    layout: Literal["auto", "framewise", "mmfit"]
    resolution: int = Field(ge=16, le=1024)
    allow_trim: int = Field(ge=0, description="max frames by which labels and video may differ (trimmed)")
    mmfit: MmfitParams


class SelfieParams(_Strict):
    model: str = Field(min_length=1, description="MediaPipe selfie segmentation .tflite file")
    threshold: float = Field(gt=0, lt=1, description="person probability above which a pixel is person")


class BackgroundParams(_Strict):
    method: Literal["mog2", "knn"]
    history: int = Field(ge=1, description="frames the background model remembers")
    var_threshold: float = Field(gt=0, description="MOG2 distance threshold")
    learning_rate: float = Field(ge=-1, le=1, description="-1: OpenCV's automatic rate")
    open_px: int = Field(ge=1, description="morphological opening kernel (removes specks)")
    close_px: int = Field(ge=1, description="morphological closing kernel (fills holes)")
    min_area: float = Field(ge=0, lt=1, description="drop blobs smaller than this share of the frame")


class YoloParams(_Strict):
    weights: str = Field(min_length=1, description="a .pt path or an ultralytics name (downloaded when online); "
                         "a .yaml builds an untrained model (tests)")
    confidence: float = Field(ge=0, le=1)
    imgsz: int = Field(ge=32, le=2048)
    instance: Literal["largest", "track", "union"] = Field(
        description="largest: the biggest person; track: the person overlapping the previous mask most "
        "(largest when there is none); union: every person")
    max_persons: int = Field(ge=1, description="most confident person instances kept per frame for the rule")
    device: Literal["auto", "cpu", "cuda"]
    half: bool = Field(description="fp16 inference on CUDA")


class QualityParams(_Strict):
    """The data-quality gate of ``mcat validate`` (paper, MM-Fit: 18.3% mean coverage, 2.1% empty masks)."""

    coverage_min: float = Field(ge=0, le=1)
    coverage_max: float = Field(ge=0, le=1)
    empty_ratio_max: float = Field(ge=0, le=1)
    flicker_max: float = Field(ge=0, le=1)


class MasksParams(_Strict):
    """Person masks (``mcat masks``)."""

    backend: Literal["provided", "selfie", "background", "yolo"]
    batch_size: int = Field(ge=1, description="frames per segmentation call")
    overlay_frames: int = Field(ge=0, description="frames drawn in each recording's overlay PNG")
    selfie: SelfieParams
    background: BackgroundParams
    yolo: YoloParams


class WindowsParams(_Strict):
    """Sliding windows over recordings (``mcat windows``)."""

    T: int = Field(ge=2, le=1024, description="frames per window")
    stride: int = Field(ge=1, description="frames between window starts")


#: The model registry's names (``mcat.models.MODELS``); kept here so that validating params needs no torch.
MODEL_NAMES = ("mcat", "mlp", "lstm", "tcn", "transformer", "vivit")


def _known_model(name: str) -> str:
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model '{name}'; choose one of {', '.join(MODEL_NAMES)}")
    return name


ModelName = Annotated[str, AfterValidator(_known_model)]
InputMode = Literal["raw", "both", "mask"]


def _positive_range(v: tuple[float, float], name: str) -> tuple[float, float]:
    if v[0] <= 0:
        raise ValueError(f"{name} must be positive, got {list(v)}")
    return _ordered_range(v, name)


class AugmentParams(_Strict):
    """Clip-consistent augmentation: one draw per clip, applied to every frame (geometry to both channels)."""

    hflip_p: float = Field(ge=0, le=1)
    crop_scale: tuple[float, float] = Field(description="random resized crop: area share, [low, high] in (0, 1]")
    crop_ratio: tuple[float, float] = Field(description="random resized crop: aspect ratio, [low, high]")
    brightness: tuple[float, float] = Field(description="gray only: multiply by a factor from [low, high]")
    contrast: tuple[float, float] = Field(description="gray only: scale around the clip mean by [low, high]")

    @field_validator("crop_scale")
    @classmethod
    def _scale(cls, v: tuple[float, float]) -> tuple[float, float]:
        if v[1] > 1:
            raise ValueError(f"crop_scale cannot exceed 1, got {list(v)}")
        return _positive_range(v, "crop_scale")

    @field_validator("crop_ratio", "brightness", "contrast")
    @classmethod
    def _ranges(cls, v: tuple[float, float], info) -> tuple[float, float]:
        return _positive_range(v, info.field_name)


class TrainParams(_Strict):
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
    workers: int = Field(ge=0, description="DataLoader worker processes")

    @field_validator("betas")
    @classmethod
    def _betas(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not all(0 <= b < 1 for b in v):
            raise ValueError(f"betas must lie in [0, 1), got {list(v)}")
        return v


class EvaluateParams(_Strict):
    """Evaluation (``mcat evaluate``)."""

    splits: list[str] = Field(min_length=1, description="splits to score, e.g. [val, test]")
    batch_size: int = Field(ge=1)


class MlflowParams(_Strict):
    """Tracking; the server comes from MLFLOW_TRACKING_URI (default: sqlite:///mlflow.db in the project)."""

    experiment: str = Field(min_length=1)


class RegistryParams(_Strict):
    """The MLflow model registry (``mcat register``, ``mcat promote``)."""

    model_name: str = Field(min_length=1)
    min_test_macro_f1: float = Field(ge=0, le=1, description="gate: the challenger's macro-F1 on the fast split")
    min_improvement: float = Field(ge=-1, le=1, description="gate: macro-F1 over the champion, same data")


class PredictParams(_Strict):
    """Prediction on new videos (``mcat predict``)."""

    mask_backend: Literal["selfie", "background", "yolo"] = Field(
        description="masks for new videos (settings under masks.<backend>); no dataset masks exist for them")
    batch_size: int = Field(ge=1, description="windows per forward pass")
    min_segment_seconds: float = Field(ge=0, description="shorter runs of one class merge into their neighbours")


class ExperimentRun(_Strict):
    """One row of the experiment matrix: a model on the same windows."""

    model: ModelName
    input_mode: InputMode
    model_options: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0


class ExperimentsParams(_Strict):
    """The experiment matrix (``mcat experiments``)."""

    runs: list[ExperimentRun] = Field(min_length=1)


class Params(_Strict):
    synth: SynthParams
    ingest: IngestParams
    masks: MasksParams
    quality: QualityParams
    windows: WindowsParams
    train: TrainParams
    evaluate: EvaluateParams
    mlflow: MlflowParams
    registry: RegistryParams
    predict: PredictParams
    experiments: ExperimentsParams


def digest(section: BaseModel) -> str:
    """sha256 (hex, 16 chars) of a params section, to tell whether an output made with it is stale."""
    return hashlib.sha256(json.dumps(section.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]


def load_params(path: Path | str = "params.yaml", preset: str | None = None, overrides: list[str] = ()) -> Params:
    """Read, merge and validate parameters.

    Args:
        path: the params file (normally ``params.yaml`` at the project root).
        preset: a preset name (``presets/<name>.yaml`` beside ``path``) or a YAML file path.
        overrides: ``key.path=value`` strings; the value is parsed as YAML (``3``, ``0.5``, ``[1, 2]``, ``abc``).
    """
    path = Path(path)
    layers: list[tuple[str, dict]] = [(str(path), _read_yaml(path, "the params file"))]
    if preset:
        preset_path = Path(preset) if preset.endswith((".yaml", ".yml")) else path.parent / "presets" / f"{preset}.yaml"
        layers.append((str(preset_path), _read_yaml(preset_path, f"preset '{preset}'")))
    if overrides:
        layers.append(("-S override", _parse_overrides(overrides)))

    merged: dict = {}
    for _, layer in layers:
        merged = _deep_merge(merged, layer)
    try:
        return Params.model_validate(merged)
    except ValidationError as exc:
        raise McatError(_explain(exc, layers)) from None


def _read_yaml(path: Path, what: str) -> dict:
    if not path.is_file():
        raise McatError(f"{what} {path} does not exist: run from the project root or pass --params/--preset")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise McatError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise McatError(f"{path} must hold a mapping of sections (synth, ingest, ...), got {type(data).__name__}")
    return data


def _parse_overrides(overrides: list[str]) -> dict:
    tree: dict = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise McatError(f"override '{item}' must look like section.key=value, e.g. windows.stride=4")
        node = tree
        *parents, leaf = key.strip().split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise McatError(f"override '{item}' conflicts with another override of '{part}'")
        try:
            node[leaf] = yaml.safe_load(raw)
        except yaml.YAMLError:
            node[leaf] = raw
    return tree


def _deep_merge(base: dict, top: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _lookup(tree: Any, loc: tuple) -> tuple[bool, Any]:
    for part in loc:
        if isinstance(tree, dict) and part in tree:
            tree = tree[part]
        elif isinstance(tree, (list, tuple)) and isinstance(part, int) and part < len(tree):
            tree = tree[part]
        else:
            return False, None
    return True, tree


def _explain(exc: ValidationError, layers: list[tuple[str, dict]]) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        origin, value = layers[0][0], None
        for name, layer in reversed(layers):
            found, value = _lookup(layer, loc)
            if found:
                origin = name
                break
        key = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            message = "unknown key (remove it or check its spelling)"
        elif err["type"] == "missing":
            message = "missing (add it to the params file)"
        else:
            message = err["msg"].removeprefix("Value error, ")
        shown = "" if err["type"] == "missing" or isinstance(value, dict) else f" = {value!r}"
        lines.append(f"{origin}: {key}{shown}: {message}")
    return "invalid parameters:\n  " + "\n  ".join(lines)
