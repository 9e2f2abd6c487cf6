"""Params of the operations around the model: MLflow tracking, the registry, prediction."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mcat.config.base import Strict


class MlflowParams(Strict):
    """Tracking; the server comes from MLFLOW_TRACKING_URI (default: sqlite:///mlflow.db in the project)."""

    experiment: str = Field(min_length=1)


class RegistryParams(Strict):
    """The MLflow model registry (``mcat register``, ``mcat promote``)."""

    model_name: str = Field(min_length=1)
    register_min_test_macro_f1: float = Field(ge=0, le=1, description="gate: register only at this macro-F1 on "
                                              "the fast split or above")
    min_test_macro_f1: float = Field(ge=0, le=1, description="gate: the challenger's macro-F1 on the fast split")
    min_improvement: float = Field(ge=-1, le=1, description="gate: macro-F1 over the champion, same data")


class ExportParams(Strict):
    """A trained model as a file for serving and the edge (``mcat export``)."""

    format: Literal["onnx", "onnx-int8", "torchscript"] = Field(
        description="onnx (fp32), onnx-int8 (ONNX Runtime quantization) or torchscript")
    int8: Literal["static", "dynamic"] = Field(
        description="onnx-int8: dynamic (the transformer's matmuls int8, convolutions fp32) or static (every "
                    "operator int8, activation ranges calibrated on training windows)")
    calibration_windows: int = Field(ge=1, description="static int8: training windows that calibrate it")


class ExplainParams(Strict):
    """Where the model looks (``mcat explain``, and the few windows ``mcat evaluate`` logs): Grad-CAM maps of the
    frame encoders and the cross-attention weights."""

    split: str = Field(min_length=1, description="the split whose windows are explained (test: fast executions)")
    per_class: int = Field(ge=0, description="windows per true class, evenly spread over the split (evaluate: 0 "
                           "logs none); for a video, windows per predicted class, the most confident")
    method: Literal["gradcam", "gradcam++", "hirescam", "xgradcam", "layercam"] = Field(
        description="the CAM method (the grad-cam library's)")
    target: Literal["predicted", "true"] = Field(
        description="the class whose evidence is mapped: the model's prediction, or the true class")


class PredictParams(Strict):
    """Prediction on new videos (``mcat predict``)."""

    mask_backend: Literal["selfie", "background", "yolo"] = Field(
        description="masks for new videos (settings under masks.<backend>); no dataset masks exist for them")
    pose_backend: Literal["blazepose", "yolo"] = Field(
        description="keypoints for new videos, for the models that read them (settings under pose.<backend>)")
    pose_every: int = Field(ge=1, description="estimate keypoints on every n-th frame and interpolate the frames between "
                                              "(1: every frame); n > 1 trades keypoint accuracy for speed")
    pose_thread: bool = Field(description="a model that reads keypoints: estimate them in a second thread while the "
                                          "next frames are decoded and segmented (selfie's models then get half the "
                                          "cores); false: one after the other")
    batch_size: int = Field(ge=1, description="windows per forward pass")
    min_segment_seconds: float = Field(ge=0, description="shorter runs of one class merge into their neighbours")
