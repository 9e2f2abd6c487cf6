"""The model zoo: named models, each a small factory with the paper's defaults, built with ``build(name, input_mode,
num_classes, **overrides)``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from torch import nn

from mcat.errors import McatError
from mcat.models.baselines import TCN, BiLSTM, FrameFeatureClassifier, MeanMLP, ProjectedTransformer
from mcat.models.mcat import MaskCrossAttentionTransformer
from mcat.model_names import INPUT_MODES, MODEL_NAMES, reads_pose
from mcat.models.vivit import ViViT
from mcat.pose.joints import K

PAPER_TRANSFORMER = {"d": 256, "heads": 8, "ffn": 1024, "depth": 4, "dropout": 0.1}
PAPER_ENCODER = {"channels": (16, 32, 64)}


@dataclass(frozen=True)
class ModelSpec:
    factory: Callable[..., nn.Module]
    defaults: dict[str, Any]
    summary: str


MODELS: dict[str, ModelSpec] = {}


def zoo_model(name: str, summary: str, **defaults: Any) -> Callable:
    """Register the decorated factory under ``name``, one of :data:`mcat.model_names.MODEL_NAMES`."""
    if name not in MODEL_NAMES:
        raise ValueError(f"add '{name}' to mcat.model_names.MODEL_NAMES before registering it")

    def decorate(factory: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        MODELS[name] = ModelSpec(factory, defaults, summary)
        return factory
    return decorate


def build(name: str, input_mode: str = "both", num_classes: int = 11, **overrides: Any) -> nn.Module:
    """A model from the registry with the paper's defaults, updated by ``overrides``.

    The returned module has ``.config`` — everything needed to build it again with :func:`from_config`.
    """
    if name not in MODELS:
        raise McatError(f"unknown model '{name}'; choose one of {', '.join(MODELS)}")
    if input_mode not in INPUT_MODES:
        raise McatError(f"unknown input mode '{input_mode}'; choose one of {', '.join(INPUT_MODES)}")
    if reads_pose(input_mode) and name != "mcat":
        raise McatError(f"model '{name}' reads no pose keypoints: input mode '{input_mode}' is for mcat; "
                        f"give {name} raw, both or mask")
    if num_classes < 2:
        raise McatError(f"num_classes must be at least 2, got {num_classes}")
    spec = MODELS[name]
    unknown = sorted(set(overrides) - set(spec.defaults))
    if unknown:
        raise McatError(f"model '{name}' has no option(s) {', '.join(unknown)}; its options: "
                        f"{', '.join(f'{k}={v!r}' for k, v in spec.defaults.items())}")
    options = {**spec.defaults, **overrides}
    try:
        model = spec.factory(num_classes=num_classes, input_mode=input_mode, **options)
    except (ValueError, AssertionError) as exc:
        raise McatError(f"model '{name}' cannot be built with {options}: {exc}") from None
    model.config = {"name": name, "input_mode": input_mode, "num_classes": num_classes, **options}
    return model


def from_config(config: dict[str, Any]) -> nn.Module:
    """Rebuild a model from its ``.config`` (as saved with its weights)."""
    options = dict(config)
    return build(options.pop("name"), options.pop("input_mode"), options.pop("num_classes"), **options)


@zoo_model("mcat", "Mask Cross-Attention Transformer (the paper's model); fusion cross_attention|add|concat|none",
          fusion="cross_attention", **PAPER_ENCODER, **PAPER_TRANSFORMER, joints=K, pose_frame="image")
def _mcat(**kw: Any) -> nn.Module:
    kw["channels"] = tuple(kw["channels"])
    return MaskCrossAttentionTransformer(**kw)


@zoo_model("mlp", "frame features, temporal mean, 2-layer MLP", hidden=256, dropout=0.1, **PAPER_ENCODER)
def _mlp(*, num_classes: int, input_mode: str, channels, hidden: int, dropout: float) -> nn.Module:
    return FrameFeatureClassifier(num_classes=num_classes, input_mode=input_mode, channels=tuple(channels),
                                  temporal=MeanMLP(features=channels[-1], hidden=hidden, dropout=dropout))


@zoo_model("lstm", "bidirectional LSTM (hidden 256) over frame features", hidden=256, layers=1, dropout=0.1,
          **PAPER_ENCODER)
def _lstm(*, num_classes: int, input_mode: str, channels, hidden: int, layers: int, dropout: float) -> nn.Module:
    return FrameFeatureClassifier(num_classes=num_classes, input_mode=input_mode, channels=tuple(channels),
                                  temporal=BiLSTM(features=channels[-1], hidden=hidden, layers=layers, dropout=dropout))


@zoo_model("tcn", "temporal convolutional network, kernel 3, dilations 1, 2, 4, 8", width=256, kernel=3,
          dilations=(1, 2, 4, 8), dropout=0.1, **PAPER_ENCODER)
def _tcn(*, num_classes: int, input_mode: str, channels, width: int, kernel: int, dilations, dropout: float) -> nn.Module:
    return FrameFeatureClassifier(num_classes=num_classes, input_mode=input_mode, channels=tuple(channels),
                                  temporal=TCN(features=channels[-1], width=width, kernel=kernel,
                                               dilations=tuple(dilations), dropout=dropout))


@zoo_model("transformer", "temporal transformer over frame tokens", **PAPER_ENCODER, **PAPER_TRANSFORMER)
def _transformer(*, num_classes: int, input_mode: str, channels, d: int, heads: int, ffn: int, depth: int,
                 dropout: float) -> nn.Module:
    temporal = ProjectedTransformer(features=channels[-1], d=d, heads=heads, ffn=ffn, depth=depth, dropout=dropout)
    return FrameFeatureClassifier(num_classes=num_classes, input_mode=input_mode, channels=tuple(channels),
                                  temporal=temporal)


@zoo_model("vivit", "ViViT: tubelet embedding, joint space-time attention", tubelet=(2, 16, 16),
          **PAPER_TRANSFORMER)
def _vivit(**kw: Any) -> nn.Module:
    kw["tubelet"] = tuple(kw["tubelet"])
    return ViViT(**kw)
