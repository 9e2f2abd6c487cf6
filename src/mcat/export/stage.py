"""``mcat export``: a trained model (a model file or a registry/run URI) as one file that ONNX Runtime or
LibTorch runs, carrying its class names and preprocessing, so that ``mcat predict``, ``evaluate`` and
``speedtest`` take it as ``--model`` like the model file.

``onnx``: fp32, checked against the eager model. ``onnx-int8``: ONNX Runtime quantization of that file
(:func:`mcat.models.export.quantize_onnx`), ``dynamic`` or ``static`` (calibrated on ``calibration_windows``
training windows, evenly spread); either way the int8 model's class is compared with the fp32 model's on
those windows.
``torchscript``: traced, checked against the eager model. With tracking, the file is logged as an artifact
(``export/``) of the MLflow run that trained the model.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from mcat.config import ExportParams, MlflowParams
from mcat.data.dataset import WindowDataset
from mcat.errors import McatError
from mcat.model_names import reads_pose
from mcat.modelfile import ModelFile, check_windows
from mcat.models.export import export_onnx, export_torchscript, quantize_onnx
from mcat.models.exported import OnnxClassifier
from mcat.pose.joints import K
from mcat.registry.load import load_model

FILE_NAMES = {  # the default file of each format, beside models/model.pt
    "onnx": "model.onnx", "onnx-int8": "model.int8.onnx", "torchscript": "model.torchscript.pt"}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    size_bytes: int
    agreement: float | None  # int8: share of calibration windows where int8 and fp32 give the same class
    windows: int  # how many windows that share is over (0 for fp32 formats)
    run_id: str | None  # the MLflow run the file was logged to


def calibration_clips(model: ModelFile, windows: Path, store: Path, masks: Path, count: int,
                      pose: Path | None = None) -> tuple[np.ndarray, ...]:
    """The inputs of ``count`` training windows evenly spread over the train split (all when fewer): (clips uint8
    [N, 2, T, R, R],) or, for a model that reads keypoints (``pose``: their store), (clips, keypoints float32
    [N, T, K, 3])."""
    if not (Path(windows) / "train.csv").is_file():
        raise McatError(f"int8 export calibrates and checks on the training windows, and {windows}/train.csv is "
                        "missing: run the data stages (`dvc repro windows`) or pass --windows/--store/--masks")
    dataset = WindowDataset(windows, "train", store, masks, pose_dir=model.pose_store(pose, Path(str(windows))))
    check_windows(model, dataset, Path(str(windows)))
    picks = np.unique(np.linspace(0, len(dataset) - 1, min(count, len(dataset))).round().astype(int))
    items = [dataset[i][:-1] for i in picks]
    return tuple(np.stack([item[k].numpy() for item in items]) for k in range(len(items[0])))


def example_inputs(model: ModelFile) -> tuple[torch.Tensor, ...]:
    """Two samples of what the model takes, to trace it: clips uint8 [2, 2, T, R, R] (random gray, no mask) and,
    for a model that reads keypoints, keypoints float [2, T, K, 3] (random, all seen)."""
    pre, generator = model.preprocessing, torch.Generator().manual_seed(0)
    clips = torch.zeros(2, 2, pre.T, pre.resolution, pre.resolution, dtype=torch.uint8)
    clips[:, 0] = torch.randint(0, 256, clips[:, 0].shape, generator=generator, dtype=torch.uint8)
    if not reads_pose(model.input_mode):
        return (clips,)
    pose = torch.rand(2, pre.T, K, 3, generator=generator)
    pose[..., 2] = 1.0
    return clips, pose


def _metadata(model: ModelFile, params: ExportParams, source: str) -> dict:
    """What the exported file carries: the model file's class names and preprocessing; its meta without the
    MLflow run id (evaluating an export must not log into the training run), and where it came from."""
    meta = {k: v for k, v in model.meta.items() if k != "mlflow_run_id"}
    meta["export"] = {"format": params.format, "int8": params.int8 if params.format == "onnx-int8" else None,
                      "source": source, "source_run_id": model.meta.get("mlflow_run_id")}
    return {"class_names": list(model.class_names), "preprocessing": asdict(model.preprocessing), "meta": meta}


def export(params: ExportParams, model_ref: str, out: Path, windows: Path, store: Path, masks: Path, *,
           pose: Path | None = None, tracking: MlflowParams | None = None) -> ExportResult:
    """Write ``model_ref`` as ``params.format`` to the file ``out`` (whole or not at all); the windows and
    stores (and ``pose``, the keypoints, for a model that reads them) are read for int8 only."""
    out = Path(out)
    if params.format.startswith("onnx") and out.suffix.lower() != ".onnx":
        raise McatError(f"--out {out}: an ONNX file's name must end in .onnx (predict and evaluate know it by that)")
    model = load_model(model_ref, torch.device("cpu"))
    if isinstance(model.model, (OnnxClassifier, torch.jit.ScriptModule)):
        raise McatError(f"{model_ref} is already an exported model: export the model file it was made from "
                        "(models/model.pt) or its registry version")
    example = example_inputs(model)
    metadata = _metadata(model, params, model_ref)
    agreement, clips = None, (np.zeros((0,)),)
    if params.format == "onnx-int8":
        clips = calibration_clips(model, windows, store, masks, params.calibration_windows, pose)
    out.parent.mkdir(parents=True, exist_ok=True)
    if params.format == "torchscript":
        export_torchscript(model.model, example, out, metadata=metadata)
    elif params.format == "onnx":
        export_onnx(model.model, example, out, metadata=metadata)
    else:
        with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as scratch:
            fp32 = export_onnx(model.model, example, Path(scratch) / "fp32.onnx")
            batches = (tuple(x[i:i + 16] for x in clips) for i in range(0, len(clips[0]), 16))
            int8 = quantize_onnx(fp32, Path(scratch) / "int8.onnx", params.int8, batches, metadata)
            agreement = _agreement(model, int8, clips)
            int8.replace(out)
    run_id = _log(tracking, model.meta.get("mlflow_run_id"), out)
    return ExportResult(out, params.format, out.stat().st_size, agreement, len(clips[0]), run_id)


def _agreement(model: ModelFile, path: Path, inputs: tuple[np.ndarray, ...]) -> float:
    """Share of the windows of ``inputs`` (:func:`calibration_clips`) on which the file at ``path`` gives the
    model's class."""
    from mcat.models.exported import load_exported

    exported = load_exported(path)[0]
    same = 0
    with torch.inference_mode():
        for i in range(0, len(inputs[0]), 32):
            batch = [torch.from_numpy(x[i:i + 32]) for x in inputs]
            same += int((exported(*batch).argmax(1) == model.model(*batch).argmax(1)).sum())
    return same / len(inputs[0])


def _log(tracking: MlflowParams | None, run_id: str | None, path: Path) -> str | None:
    """Log ``path`` into the model's MLflow run, when tracked and the run is in this store."""
    if tracking is None or not run_id:
        return None
    from mcat.tracking import MlflowRun, in_this_store

    if in_this_store(run_id) is None:
        return None
    with MlflowRun(tracking.experiment, run_id=run_id) as run:
        run.log_artifacts([path], artifact_path="export")
    return run_id
