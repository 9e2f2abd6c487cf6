"""``mcat train``: the training loop inside an MLflow run, with lineage tags and the logged model; data-parallel
when started by torchrun (see :mod:`mcat.train.distributed`)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Callable

from mcat.atomic import exclusive
from mcat.config import MlflowParams, TrainParams
from mcat.data.dataset import WindowDataset
from mcat.data.digest import data_digest
from mcat.inference import resolve_device
from mcat.modelfile import load_model_file
from mcat.train.distributed import process_group, world_from_env
from mcat.train.loop import TrainResult, fit, pose_read, resumable_run_id


def train(params: TrainParams, windows: Path, store: Path, masks: Path, out: Path, *, pose: Path | None = None,
          tracking: MlflowParams | None = None,
          on_epoch_end: Callable[[int, dict], None] | None = None) -> TrainResult:
    """Train as :func:`mcat.train.loop.fit` does (``pose``: the keypoints, for the input modes that read them);
    with ``tracking``, inside an MLflow run of its experiment (a resumed training continues its run). The result's
    ``run_id`` names the run (None without tracking).

    Under torchrun every process calls this: rank 0 holds ``out``, tracks and writes; the others train."""
    world = world_from_env()
    holds = exclusive(out, "mcat train") if world.main else contextlib.nullcontext()
    with holds, process_group(world, resolve_device(params.device), params.distributed_timeout_s):
        if tracking is None or not world.main:
            return fit(params, windows, store, masks, out, pose=pose, on_epoch_end=on_epoch_end, world=world)
        from mcat.tracking import MlflowRun, lineage_tags, require_run

        pose = pose_read(params, pose)
        previous = resumable_run_id(params, windows, store, masks, out, pose)
        if previous is not None:
            require_run(previous, Path(out) / "checkpoints" / "last.pt")
        name = f"{params.model}-{params.input_mode}"
        with MlflowRun(tracking.experiment, run_id=previous, run_name=name) as run:
            for orphan in run.claim(out):
                print(f"mcat train: MLflow run {orphan} was left RUNNING by a killed training into {out}; marked KILLED",
                      file=sys.stderr)
            if previous is None:
                val = WindowDataset(windows, "val", store, masks)
                run.log_params({"train": params.model_dump(mode="json"), "windows": {"T": val.T, "stride": val.stride},
                                "masks": {"backend": val.mask_store.backend()}})
                digest = data_digest(windows, store, masks, pose)
                run.set_tags(lineage_tags(digest))
                run.log_windows(windows, digest)
            result = fit(params, windows, store, masks, out, pose=pose, tracker=run, on_epoch_end=on_epoch_end,
                         world=world)
            if result.epochs_run and pose is None:
                example = WindowDataset(windows, "val", store, masks)[0][0][None].numpy()
                run.log_torch_model(load_model_file(result.model_path).model, example)
            elif result.epochs_run:
                print("mcat train: MLflow's PyTorch flavour takes one input, and this model also reads keypoints: "
                      "its run holds model.pt, not an MLflow model", file=sys.stderr)
                run.log_artifacts([result.model_path])
        return result
