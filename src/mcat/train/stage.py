"""``mcat train``: the training loop inside an MLflow run, with lineage tags and the logged model."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from mcat.config import Params
from mcat.data.dataset import WindowDataset
from mcat.data.digest import data_digest
from mcat.modelfile import load_model_file
from mcat.train.loop import TrainResult, resumable_run_id, train


def run_training(params: Params, windows: Path, store: Path, masks: Path, out: Path, *, track: bool = True,
                 on_epoch_end: Callable[[int, dict], None] | None = None) -> tuple[TrainResult, str | None]:
    """Train as :func:`mcat.train.loop.train` does; with ``track``, inside an MLflow run (a resumed training
    continues its run). Returns the result and the run id."""
    if not track:
        return train(params, windows, store, masks, out, on_epoch_end=on_epoch_end), None
    from mcat.tracking import MlflowRun, lineage_tags

    previous = resumable_run_id(params, windows, store, masks, out)
    name = f"{params.train.model}-{params.train.input_mode}"
    with MlflowRun(params.mlflow.experiment, run_id=previous, run_name=name) as run:
        if previous is None:
            run.log_params(params.model_dump(mode="json"))
            run.set_tags(lineage_tags(data_digest(windows, store, masks)))
        result = train(params, windows, store, masks, out, tracker=run, on_epoch_end=on_epoch_end)
        if result.epochs_run:
            example = WindowDataset(windows, "val", store, masks)[0][0][None].numpy()
            run.log_torch_model(load_model_file(result.model_path).model, example)
            run.log_artifacts([result.model_path])
    return result, run.run_id
