"""Training and evaluation logged to a real ``mlflow server`` on 127.0.0.1."""

import json

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from mcat.data.dataset import WindowDataset
from mcat.errors import McatError
from mcat.inference import native_bf16_cpu
from mcat.evaluate.stage import evaluate
from mcat.train.stage import train

from conftest import tiny_params


class Crash(Exception):
    pass


def crash_after_first(epoch, metrics):
    raise Crash("simulated crash")


def test_a_run_holds_params_metrics_tags_artifacts_and_a_loadable_model(mlflow_env, tmp_path, tiny_windows):
    params = tiny_params("train.epochs=2", "mlflow.experiment=tracking-test")
    result = train(params.train, *tiny_windows, tmp_path / "models", tracking=params.mlflow)
    run_id = result.run_id
    client = MlflowClient(mlflow_env)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["train.lr"] == "0.002" and run.data.params["windows.T"] == "16"
    assert int(run.data.params["model_parameters"]) > 0
    assert run.data.params["autocast"] == ("bf16" if native_bf16_cpu() else "none")  # train.precision: auto
    assert len(client.get_metric_history(run_id, "val_macro_f1")) == 2
    assert {"git_commit", "data_digest", "dvc_lock_sha256", "torch"} <= set(run.data.tags)
    inputs = {i.dataset.name: i for i in run.inputs.dataset_inputs}  # what the run page lists as its data
    assert set(inputs) == {"train windows", "val windows", "test windows"}
    for name, given in inputs.items():
        tags = {t.key: t.value for t in given.tags}
        assert tags["mcat.data_digest"] == run.data.tags["data_digest"] and given.dataset.digest
        assert tags["mlflow.data.context"] == {"train": "training", "val": "validation", "test": "test"}[tags["mcat.split"]]
        assert json.loads(given.dataset.profile)["num_rows"] == len(WindowDataset(tiny_windows[0], tags["mcat.split"],
                                                                                  *tiny_windows[1:]))
    model = mlflow.pytorch.load_model(f"runs:/{run_id}/model")
    clip = WindowDataset(tiny_windows[0], "test", *tiny_windows[1:])[0][0][None]
    assert model(clip).shape == (1, 4)
    info = mlflow.models.get_model_info(f"runs:/{run_id}/model")
    assert info.signature is not None and info.saved_input_example_info is not None

    scores = evaluate(params.evaluate, result.model_path, *tiny_windows, tmp_path / "reports", tracking=params.mlflow,
                      explain=params.explain)
    run = client.get_run(run_id)
    assert run.data.metrics["eval.test.macro_f1"] == pytest.approx(scores.metrics["test"]["macro_f1"])
    assert run.data.metrics["eval.speed_shift.accuracy"] == pytest.approx(scores.metrics["speed_shift"]["accuracy"])
    assert run.data.metrics["best_val_macro_f1"] == pytest.approx(result.best_val_macro_f1)
    # the evaluation does not add points to the training curve (it once landed at step 0 under the same key)
    assert [m.step for m in client.get_metric_history(run_id, "val_macro_f1")] == [1, 2]
    assert run.data.metrics["eval.val.macro_f1"] == pytest.approx(result.best_val_macro_f1)  # the best epoch's model
    artifacts = {a.path for a in client.list_artifacts(run_id, "reports/plots")}
    assert "reports/plots/test_confusion.png" in artifacts
    explained = {a.path for a in client.list_artifacts(run_id, "reports/plots/explain")}  # one window per class
    assert len([p for p in explained if p.endswith("_attention.png")]) == 4 and scores.explained.startswith("explain: 4")


def test_a_crash_ends_the_run_failed_and_resuming_continues_it(mlflow_env, tmp_path, tiny_windows, monkeypatch):
    params = tiny_params("train.epochs=2", "mlflow.experiment=crash-test")
    out = tmp_path / "model"
    with pytest.raises(Crash):
        train(params.train, *tiny_windows, out, tracking=params.mlflow, on_epoch_end=crash_after_first)
    client = MlflowClient(mlflow_env)
    experiment = client.get_experiment_by_name("crash-test")
    [failed] = client.search_runs([experiment.experiment_id])
    assert failed.info.status == "FAILED"
    # the checkpoint's run is not in another store (mlflow.db deleted, or the URI switched): say so, train nothing
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'other.db'}")
    with pytest.raises(McatError, match=f"continues MLflow run {failed.info.run_id}, which the tracking store "
                                        f"sqlite:///.*other.db does not hold: set MLFLOW_TRACKING_URI"):
        train(params.train, *tiny_windows, out, tracking=params.mlflow)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_env)
    result = train(params.train, *tiny_windows, out, tracking=params.mlflow)
    run_id = result.run_id
    assert run_id == failed.info.run_id and result.resumed_from_epoch == 1
    assert client.get_run(run_id).info.status == "FINISHED"
    assert [m.step for m in client.get_metric_history(run_id, "val_macro_f1")] == [1, 2]
