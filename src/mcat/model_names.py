"""The model zoo's names, torch-free (outside the torch-importing ``mcat.models`` package): params are
validated against them without building, or importing, a model.

:mod:`mcat.models.zoo` registers one factory under each of :data:`MODEL_NAMES` and refuses any other name,
so this tuple is the one list of models (as ``timm.list_models()`` is timm's).
"""

MODEL_NAMES = ("mcat", "mlp", "lstm", "tcn", "transformer", "vivit")
INPUT_MODES = ("raw", "both", "mask", "both+pose", "mask+pose", "pose")
#: the input modes that read pose keypoints (:mod:`mcat.pose`) beside the clips; only ``mcat`` takes them
POSE_MODES = ("both+pose", "mask+pose", "pose")


def reads_pose(input_mode: str) -> bool:
    """Whether a model of ``input_mode`` takes keypoints [B, T, K, 3] beside its clips."""
    return input_mode in POSE_MODES


def reads_frames(input_mode: str) -> bool:
    """Whether a model of ``input_mode`` reads the grayscale frames (channel 0 of its clips), not only the masks."""
    return input_mode in ("raw", "both", "both+pose")


FUSIONS = ("cross_attention", "add", "concat", "none")
