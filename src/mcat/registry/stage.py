"""``mcat register``: the trained, evaluated model becomes a new version of the registered model, with the
alias ``challenger``, its evaluation metrics, data digest and git commit as version tags and a model card as its
description (:func:`mcat.registry.card.model_card`) — when it passes
:func:`mcat.registry.gates.registration_gate`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcat.config import MlflowParams, RegistryParams, params_digest
from mcat.errors import McatError
from mcat.model_names import reads_pose
from mcat.modelfile import load_model_file
from mcat.pose.joints import K
from mcat.registry.card import model_card
from mcat.registry.gates import metric_tag, registration_gate

CHALLENGER, CHAMPION = "challenger", "champion"


@dataclass(frozen=True)
class RegisterResult:
    name: str
    version: str | None  # None when the registration gate refused the model
    run_id: str | None
    refused: list[str]  # the failed gate conditions, with their numbers

    def record(self) -> dict:
        """What ``--record`` writes (DVC tracks it): the version and its URI, or why there is none."""
        if self.version is None:
            return {"name": self.name, "registered": False, "refused": self.refused}
        return {"name": self.name, "registered": True, "version": self.version, "run_id": self.run_id,
                "uri": f"models:/{self.name}/{self.version}"}


def metric_tags(metrics: dict) -> dict[str, str]:
    """``{"test": {"macro_f1": 0.5}}`` → ``{"test_macro_f1": "0.5"}`` (numbers only; keys: :func:`metric_tag`)."""
    return {metric_tag(split, k): str(v) for split, values in metrics.items() if isinstance(values, dict)
            for k, v in values.items() if isinstance(v, (int, float))}


def register(params: RegistryParams, model_path: Path, metrics_path: Path, *, tracking: MlflowParams) -> RegisterResult:
    """Register ``model_path`` (evaluated in ``metrics_path``) as ``params.model_name``'s challenger, in an MLflow
    run of ``tracking.experiment``, unless the registration gate refuses it."""
    import mlflow
    import torch
    from mlflow.tracking import MlflowClient

    import mcat
    from mcat.evaluate.stage import read_metrics
    from mcat.registry.pyfunc import ExerciseClassifier, signature
    from mcat.tracking import MlflowRun, git_commit, in_this_store

    model = load_model_file(model_path)
    if not Path(metrics_path).is_file():
        raise McatError(f"{metrics_path} does not exist: run `mcat evaluate` before `mcat register`")
    metrics = read_metrics(metrics_path)
    if metrics["data_digest"] != model.meta["data_digest"]:
        raise McatError(f"{metrics_path} was not made from {model_path}'s data (data digests differ): run "
                        "`mcat evaluate` again")
    refused = registration_gate(params, metrics)
    if refused:
        return RegisterResult(params.model_name, None, None, refused)
    T, resolution = model.preprocessing.T, model.preprocessing.resolution
    joints = K if reads_pose(model.input_mode) else 0
    example = np.zeros((1, 2, T, resolution, resolution), np.uint8)
    if joints:
        example = {"clips": example, "pose": np.zeros((1, T, joints, 3), np.float32)}
    name = params.model_name
    trained_in = model.meta.get("mlflow_run_id")
    with MlflowRun(tracking.experiment, run_id=in_this_store(trained_in), run_name="register") as run:
        if trained_in and run.run_id != trained_in:
            mlflow.set_tag("training_run_id", trained_in)  # trained against another tracking store
        info = mlflow.pyfunc.log_model(
            name="exercise_classifier", python_model=ExerciseClassifier(),
            artifacts={"model_file": str(model_path)}, signature=signature(model.class_names, T, resolution, joints),
            input_example=example, code_paths=[str(Path(mcat.__file__).parent)],
            pip_requirements=[f"torch=={torch.__version__.split('+')[0]}", "numpy", "pandas"],
            registered_model_name=name)
    version = str(info.registered_model_version)
    client = MlflowClient(run.uri)
    client.set_registered_model_alias(name, CHALLENGER, version)
    tags = {**metric_tags(metrics), "data_digest": metrics["data_digest"], "git_commit": git_commit(),
            "train_params_digest": params_digest(model.meta["train"]), "model": model.meta["train"]["model"],
            "input_mode": model.meta["train"]["input_mode"]}
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
    client.update_model_version(name, version, description=model_card(model, metrics))
    return RegisterResult(name, version, run.run_id, [])
