"""Params of the data stages: synth, ingest, masks, quality (validate), windows."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from mcat.classes import EXERCISES
from mcat.config.base import Strict, ordered_range, positive_range


class DomainParams(Strict):
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
        return ordered_range(v, "rom")


class SplitParams(Strict):
    recordings: int = Field(ge=0)
    domain: str


class CameraParams(Strict):
    """How the synthetic recordings are filmed: drawn per shot, never from the exercise."""

    azimuth: tuple[float, float] = Field(description="degrees around the subject, 0 = in front, [low, high]")
    elevation: tuple[float, float] = Field(description="degrees above the subject's centre, [low, high]")
    roll: tuple[float, float] = Field(description="camera roll in degrees, [low, high]")
    distance: tuple[float, float] = Field(description="body heights from the subject, full-body shots")
    person_height: tuple[float, float] = Field(description="the subject's share of the frame height")
    upper_body: float = Field(ge=0, le=1, description="share of shots framed from the hips up")
    portrait: float = Field(ge=0, le=1, description="share of recordings filmed upright (height x width)")
    square: float = Field(ge=0, le=1, description="share of recordings filmed square (height x height)")
    cut: float = Field(ge=0, le=1, description="chance of a new shot at each set")
    zoom: float = Field(ge=0, le=0.5, description="slow zoom amplitude, share of the focal length")
    pan: float = Field(ge=0, le=0.3, description="slow pan amplitude, share of the frame width")

    @field_validator("azimuth", "elevation", "roll")
    @classmethod
    def _angles(cls, v: tuple[float, float], info) -> tuple[float, float]:
        if not all(-360 <= x <= 360 for x in v):
            raise ValueError(f"{info.field_name} must lie in [-360, 360] degrees, got {list(v)}")
        return ordered_range(v, info.field_name)

    @field_validator("distance", "person_height")
    @classmethod
    def _positive(cls, v: tuple[float, float], info) -> tuple[float, float]:
        return positive_range(v, info.field_name)

    @model_validator(mode="after")
    def _shapes(self) -> "CameraParams":
        if self.portrait + self.square > 1:
            raise ValueError(f"portrait + square must be at most 1, got {self.portrait} + {self.square}")
        return self


class SynthParams(Strict):
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
    camera: CameraParams
    places: list[Literal["room", "gym", "living_room", "outdoors"]] = Field(
        min_length=1, description="where recordings are filmed, one drawn per shot")
    overlays: float = Field(ge=0, le=1, description="chance of each overlay (caption, logo, progress bar) per recording")
    occluders: float = Field(ge=0, le=1, description="chance per shot of an object between camera and subject")
    motion_blur: float = Field(ge=0, le=1, description="chance per recording of motion blur, and of a soft lens")

    @field_validator("reps_per_set")
    @classmethod
    def _reps(cls, v: tuple[int, int]) -> tuple[int, int]:
        if v[0] < 1:
            raise ValueError(f"reps_per_set must be at least 1, got {list(v)}")
        return ordered_range(v, "reps_per_set")

    @field_validator("rest_seconds")
    @classmethod
    def _rest(cls, v: tuple[float, float]) -> tuple[float, float]:
        if v[0] < 0:
            raise ValueError(f"rest_seconds must be >= 0, got {list(v)}")
        return ordered_range(v, "rest_seconds")

    @field_validator("exercises")
    @classmethod
    def _exercises(cls, v: list[str]) -> list[str]:
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


class MmfitParams(Strict):
    frame_index: Literal["pose", "video"] = Field(
        description="pose: label frame numbers are the camera frame ids in wNN_pose_2d.npy[0, :, 0] "
        "(row i = video frame i); video: they are video frame positions"
    )
    video_glob: str = Field(min_length=1, description="the workout's video inside wNN/, e.g. '*.mp4'")


class IngestParams(Strict):
    """Reading a dataset into the frame store (``mcat ingest``)."""

    source: str = Field(min_length=1, description="dataset root: a local path or s3://bucket/prefix")
    layout: Literal["auto", "framewise", "mmfit"]
    resolution: int = Field(ge=16, le=1024)
    fps: float = Field(ge=0, le=240, description="frames per second every recording is put on (0: its own rate)")
    fit: Literal["pad", "stretch"] = Field(description="pad: keep the aspect ratio (zero bars); stretch: squash")
    allow_trim: int = Field(ge=0, description="max frames by which labels and video may differ (trimmed)")
    shards: int = Field(ge=1, description="groups of recordings ingested in parallel (Kubeflow ParallelFor tasks)")
    mmfit: MmfitParams


class SelfieParams(Strict):
    model: str = Field(min_length=1, description="MediaPipe selfie segmentation .tflite file")
    landscape_model: str = Field("", description="the .tflite file for frames wider than tall (MediaPipe's "
                                                 "landscape model, 1.9x the frames/s); '': model for every frame")
    threshold: float = Field(gt=0, lt=1, description="person probability above which a pixel is person")
    follow: bool = Field(False, description="read each frame around the person found in the frame before (a square "
                         "crop of its mask box, on the general model), so people filmed small are seen at the "
                         "model's resolution; false: every frame whole")
    follow_margin: float = Field(0.25, ge=0, le=1, description="following: the crop's margin on each side, share of "
                                 "the person box's longer side")
    runtime: Literal["litert", "opencv"] = Field(
        description="litert (LiteRT with XNNPACK: 3.6x OpenCV's speed, the same masks) or opencv (OpenCV DNN, for "
                    "platforms without a LiteRT wheel)")


class BackgroundParams(Strict):
    method: Literal["mog2", "knn"]
    history: int = Field(ge=1, description="frames the background model remembers")
    var_threshold: float = Field(gt=0, description="MOG2 distance threshold")
    learning_rate: float = Field(ge=-1, le=1, description="-1: OpenCV's automatic rate")
    open_px: int = Field(ge=1, description="morphological opening kernel (removes specks)")
    close_px: int = Field(ge=1, description="morphological closing kernel (fills holes)")
    min_area: float = Field(ge=0, lt=1, description="drop blobs smaller than this share of the frame")


class YoloBase(Strict):
    """What every YOLO use shares (:mod:`mcat.yolo`)."""

    weights: str = Field(min_length=1, description="a .pt path or an ultralytics name (downloaded when online); "
                         "a .yaml builds an untrained model (tests)")
    confidence: float = Field(ge=0, le=1)
    imgsz: int = Field(ge=32, le=2048)
    device: Literal["auto", "cpu", "cuda"]


class YoloParams(YoloBase):
    instance: Literal["largest", "track", "union"] = Field(
        description="largest: the biggest person; track: the person overlapping the previous mask most "
        "(largest when there is none); union: every person")
    max_persons: int = Field(ge=1, description="most confident person instances kept per frame for the rule")
    half: bool = Field(description="fp16 inference on CUDA")


class QualityParams(Strict):
    """The data-quality gate of ``mcat validate`` (paper, MM-Fit: 18.3% mean coverage, 2.1% empty masks)."""

    coverage_min: float = Field(ge=0, le=1)
    coverage_max: float = Field(ge=0, le=1)
    empty_ratio_max: float = Field(ge=0, le=1)
    flicker_max: float = Field(ge=0, le=1)
    pose_empty_ratio_max: float = Field(ge=0, le=1, description="frames where the pose source finds nobody")
    missing_joints_max: float = Field(ge=0, le=1, description="joints not seen in the other frames (a warning)")
    jitter_max: float = Field(ge=0, description="mean second difference of a joint, in frame units (a warning)")

    @model_validator(mode="after")
    def _coverage_range(self) -> "QualityParams":
        if self.coverage_min > self.coverage_max:
            raise ValueError(f"coverage_min ({self.coverage_min}) must not exceed coverage_max ({self.coverage_max})")
        return self


class MasksParams(Strict):
    """Person masks (``mcat masks``)."""

    backend: Literal["provided", "selfie", "background", "yolo"]
    batch_size: int = Field(ge=1, description="frames per segmentation call")
    shards: int = Field(ge=1, description="groups of recordings segmented in parallel (Kubeflow ParallelFor tasks)")
    overlay_frames: int = Field(ge=0, description="frames drawn in each recording's overlay PNG")
    selfie: SelfieParams
    background: BackgroundParams
    yolo: YoloParams


class BlazePoseParams(Strict):
    model: str = Field(min_length=1, description="MediaPipe BlazePose landmark .tflite file (pose_landmark_lite)")
    min_presence: float = Field(ge=0, le=1, description="the model's person score below which a frame has no pose")
    crop_scale: float = Field(ge=1, le=3, description="the crop's side: the person mask box's longer side times this")
    visibility: Literal["seen", "confidence"] = Field(
        description="a joint's visibility: seen = 1 for every joint placed in the frame (the provided keypoints' "
                    "convention, which models train on), confidence = the model's own visibility score")


class YoloPoseParams(YoloBase):
    """YOLO-pose weights (COCO keypoints); the person is chosen by the mask's box."""


class PoseParams(Strict):
    """Pose keypoints per frame (``mcat pose``), the layout of :mod:`mcat.pose.joints`."""

    backend: Literal["provided", "blazepose", "yolo"]
    min_visibility: float = Field(ge=0, le=1, description="a joint with a lower visibility counts as missing")
    blazepose: BlazePoseParams
    yolo: YoloPoseParams


class WindowsParams(Strict):
    """Sliding windows over recordings (``mcat windows``)."""

    T: int = Field(ge=2, le=1024, description="frames per window")
    stride: int = Field(ge=1, description="frames between window starts")
    crop: Literal["none", "person"] = Field(description="person: each window cut to its masks' box (mcat.data.person_crop)")
    crop_margin: float = Field(ge=0, le=1, description="person crop: margin on each side, share of the box side")
