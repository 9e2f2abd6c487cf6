"""Validated parameters: ``params.yaml`` (the single source of defaults), an optional preset, ``-S`` overrides.

An unknown key, a wrong type or an impossible value is a :class:`~mcat.errors.McatError` naming the key, the
value and the file it came from. One module per group of stages (:mod:`.data`, :mod:`.model`,
:mod:`.operations`), :mod:`.params` puts them together, :mod:`.loader` reads files, presets and overrides,
:mod:`.explain` words the errors. Torch-free: validating params imports no stage.
"""

from mcat.config.data import (BackgroundParams, BlazePoseParams, CameraParams, DomainParams, IngestParams, MasksParams,
                              MmfitParams, PoseParams, QualityParams, SelfieParams, SplitParams, SynthParams,
                              WindowsParams, YoloParams, YoloPoseParams)
from mcat.config.loader import load_params
from mcat.config.model import (AugmentParams, EvaluateParams, ExperimentRun, ExperimentsParams, SpeedtestParams,
                               TrainParams)
from mcat.config.operations import ExplainParams, ExportParams, MlflowParams, PredictParams, RegistryParams
from mcat.config.params import Params, digest, params_digest

__all__ = ["AugmentParams", "BackgroundParams", "BlazePoseParams", "CameraParams", "DomainParams", "EvaluateParams", "ExplainParams", "ExportParams", "ExperimentRun", "ExperimentsParams",
           "IngestParams", "MasksParams", "MlflowParams", "MmfitParams", "Params", "PoseParams", "PredictParams", "QualityParams",
           "RegistryParams", "SelfieParams", "SpeedtestParams", "SplitParams", "SynthParams", "TrainParams", "WindowsParams", "YoloParams", "YoloPoseParams",
           "digest", "load_params", "params_digest"]
