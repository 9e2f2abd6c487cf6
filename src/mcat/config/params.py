"""``Params``: every section of ``params.yaml`` together, and the digest that tells an output is stale."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel

from mcat.config.base import Strict
from mcat.config.data import IngestParams, MasksParams, PoseParams, QualityParams, SynthParams, WindowsParams
from mcat.config.model import EvaluateParams, ExperimentsParams, SpeedtestParams, TrainParams
from mcat.config.operations import ExplainParams, ExportParams, MlflowParams, PredictParams, RegistryParams


class Params(Strict):
    synth: SynthParams
    ingest: IngestParams
    masks: MasksParams
    pose: PoseParams
    quality: QualityParams
    windows: WindowsParams
    train: TrainParams
    evaluate: EvaluateParams
    speedtest: SpeedtestParams
    mlflow: MlflowParams
    registry: RegistryParams
    predict: PredictParams
    export: ExportParams
    explain: ExplainParams
    experiments: ExperimentsParams


def digest(section: BaseModel) -> str:
    """sha256 (hex, 16 chars) of a params section, to tell whether an output made with it is stale."""
    return params_digest(section.model_dump(mode="json"))


def params_digest(values: dict) -> str:
    """:func:`digest` of a section already dumped to JSON values (as a model file records its train params)."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]
