"""Register, promote and serve against a real ``mlflow server`` on 127.0.0.1 (SQLite store)."""

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from mcat.data.dataset import WindowDataset
from mcat.cli import main
from mcat.errors import McatError
from mcat.evaluate.stage import evaluate
from mcat.export.stage import export
from mcat.modelfile import load_model_file
from mcat.predict.stage import predict
from mcat.registry.promote import list_versions, promote
from mcat.registry.stage import register
from mcat.train.stage import train

from conftest import ROOT, _free_port, _wait_for, tiny_params


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_windows, mlflow_server):
    """Two evaluated models on the same data (different seeds), trained once for the module."""
    os.environ["MLFLOW_TRACKING_URI"] = mlflow_server
    base = tmp_path_factory.mktemp("registry")
    out = []
    for seed in (0, 1):
        params = tiny_params("train.epochs=2", f"train.seed={seed}", "mlflow.experiment=registry-test")
        result = train(params.train, *tiny_windows, base / f"m{seed}", tracking=params.mlflow)
        evaluate(params.evaluate, result.model_path, *tiny_windows, base / f"r{seed}", tracking=params.mlflow)
        out.append((result.model_path, base / f"r{seed}" / "metrics.json"))
    yield out
    del os.environ["MLFLOW_TRACKING_URI"]


def register_as(params, model, metrics):
    return register(params.registry, model, metrics, tracking=params.mlflow)


def params_for(name, *overrides):
    return tiny_params("mlflow.experiment=registry-test", f"registry.model_name={name}", *overrides)


def test_register_promote_refuse_force_and_list(mlflow_env, trained):
    name = f"mcat-{uuid.uuid4().hex[:6]}"
    (model_a, metrics_a), (model_b, metrics_b) = trained
    f1 = [json.loads(m.read_text())["test"]["macro_f1"] for m in (metrics_a, metrics_b)]
    client = MlflowClient(mlflow_env)

    first = register_as(params_for(name, "registry.min_test_macro_f1=0"), model_a, metrics_a)
    assert first.version == "1"
    version = client.get_model_version(name, "1")
    assert float(version.tags["test_macro_f1"]) == pytest.approx(f1[0])
    assert {"data_digest", "git_commit", "val_accuracy", "speed_shift_macro_f1"} <= set(version.tags)
    assert not [key for key in version.tags if "." in key]  # MLflow's version page leaves out dotted keys
    card = version.description  # the model card a reviewer reads before promoting
    assert "| test | fast |" in card and f"{f1[0]:.3f}" in card and "Speed-shift gap" in card
    assert "non_activity" in card and version.tags["data_digest"] in card and "masks from `provided`" in card
    assert client.get_model_version_by_alias(name, "challenger").version == "1"

    with pytest.raises(McatError, match=r"test macro-F1 .* is below registry.min_test_macro_f1 = 0.99"):
        promote(params_for(name, "registry.min_test_macro_f1=0.99").registry)
    promoted = promote(params_for(name, "registry.min_test_macro_f1=0").registry)
    assert promoted.version == "1" and promoted.previous is None and not promoted.forced

    register_as(params_for(name), model_b, metrics_b)
    strict = params_for(name, "registry.min_test_macro_f1=0", "registry.min_improvement=0.5").registry
    with pytest.raises(McatError) as refused:
        promote(strict)
    assert f"does not beat champion v1's {f1[0]:.4f} by registry.min_improvement = 0.5" in str(refused.value)
    assert client.get_model_version_by_alias(name, "champion").version == "1"

    forced = promote(strict, force=True)
    assert forced.forced and forced.previous == "1"
    assert client.get_model_version(name, "2").tags["promotion_forced"] == "true"
    table = list_versions(strict)
    assert "champion" in table.splitlines()[2] and table.count("\n") == 2


def test_champion_loads_as_pyfunc_is_served_over_rest_and_predicts_videos(mlflow_env, trained, tiny_windows,
                                                                            tiny_dataset, tmp_path):
    name = f"mcat-{uuid.uuid4().hex[:6]}"
    model_a, metrics_a = trained[0]
    register_as(params_for(name), model_a, metrics_a)
    promote(params_for(name, "registry.min_test_macro_f1=0").registry)
    clips = np.stack([WindowDataset(tiny_windows[0], "test", *tiny_windows[1:])[i][0].numpy() for i in range(3)])
    model = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    frame = model.predict(clips)
    names = ["non_activity", "squats", "jumping_jacks", "bicep_curls"]
    assert list(frame.columns) == [*names, "class"] and len(frame) == 3
    np.testing.assert_allclose(frame[names].sum(axis=1), 1.0, rtol=1e-5)

    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("mlflow")), "models", "serve", "-m", f"models:/{name}@champion",
         "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
        stdout=open(tmp_path / "serve.log", "w"), stderr=subprocess.STDOUT,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})
    try:
        _wait_for(f"http://127.0.0.1:{port}/ping", server, 120)
        body = json.dumps({"inputs": clips[:2].tolist()}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body,
                                         headers={"Content-Type": "application/json"})
        answer = json.loads(urllib.request.urlopen(request, timeout=60).read())
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows = answer["predictions"]
    assert len(rows) == 2 and rows[0]["class"] == frame["class"][0]
    assert rows[0]["squats"] == pytest.approx(frame["squats"][0], rel=1e-4)

    video, predict_params = tiny_dataset / "videos/test_000.mp4", params_for(name, "predict.mask_backend=background")
    [by_uri] = predict(predict_params.predict, f"models:/{name}@champion", [video], tmp_path / "by_uri",
                       masks=predict_params.masks).videos
    [by_file] = predict(predict_params.predict, str(model_a), [video], tmp_path / "by_file",
                        masks=predict_params.masks).videos
    np.testing.assert_allclose(by_uri.probs, by_file.probs, rtol=1e-5)


def test_an_export_of_a_registered_version_is_logged_into_its_training_run(mlflow_env, trained, tiny_windows,
                                                                           tmp_path):
    name = f"mcat-{uuid.uuid4().hex[:6]}"
    model, metrics = trained[0]
    params = params_for(name, "registry.min_test_macro_f1=0", "export.format=onnx-int8")
    version = register_as(params, model, metrics)
    result = export(params.export, f"models:/{name}/{version.version}", tmp_path / "model.int8.onnx", *tiny_windows,
                    tracking=params.mlflow)
    assert result.run_id == load_model_file(model).meta["mlflow_run_id"] and result.agreement is not None
    logged = [a.path for a in MlflowClient(mlflow_env).list_artifacts(result.run_id, "export")]
    assert logged == ["export/model.int8.onnx"]


def test_versions_registered_with_dotted_tag_keys_still_pass_the_gates():
    from types import SimpleNamespace

    from mcat.registry.gates import promotion_gates

    old = SimpleNamespace(version="1", tags={"test.macro_f1": "0.5", "data_digest": "d"})
    new = SimpleNamespace(version="2", tags={"test_macro_f1": "0.7", "data_digest": "d"})
    assert promotion_gates(tiny_params("registry.min_test_macro_f1=0.4").registry, new, old) == []
    [failed] = promotion_gates(tiny_params("registry.min_improvement=0.3").registry, new, old)
    assert "0.7000 does not beat champion v1's 0.5000" in failed


def test_register_needs_the_evaluation_of_the_same_model(mlflow_env, trained, tmp_path):
    model_a, _ = trained[0]
    with pytest.raises(McatError, match="run `mcat evaluate` before `mcat register`"):
        register_as(params_for("x"), model_a, tmp_path / "none.json")
    with pytest.raises(McatError, match="has no 'challenger'"):
        promote(params_for(f"never-{uuid.uuid4().hex[:6]}").registry)


def test_the_cli_lists_aliases_with_a_local_sqlite_registry(trained, tmp_path, monkeypatch, capsys):
    """The store `make demo` uses (versions come back as ints there, as strings from a server)."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    model_a, metrics_a = trained[0]
    args = ["--params", str(ROOT / "params.yaml"), "--preset", "tiny", "-S", "mlflow.experiment=local", "-S", "registry.min_test_macro_f1=0"]
    assert main(["register", "--model", str(model_a), "--metrics", str(metrics_a), "--record", "registered.json",
                 *args]) == 0
    assert json.loads((tmp_path / "registered.json").read_text())["uri"] == "models:/mcat-exercise/1"
    assert main(["promote", *args]) == 0
    capsys.readouterr()
    assert main(["models", *args]) == 0
    row = capsys.readouterr().out.splitlines()[1].split()
    assert row[:3] == ["1", "challenger,champion", "mcat-both"]


def test_register_refuses_a_broken_metrics_file(trained, tmp_path, capsys):
    model_a, _ = trained[0]
    broken = tmp_path / "metrics.json"
    broken.write_text('{"test": ')
    code = main(["register", "--model", str(model_a), "--metrics", str(broken), "--preset", "tiny"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "is not valid JSON" in err and "\n" not in err, err


def test_the_registration_gate_refuses_a_weak_model_in_every_shell(mlflow_env, trained, tmp_path, capsys):
    (model_a, metrics_a), _ = trained
    name = f"gated-{uuid.uuid4().hex[:6]}"
    result = register_as(params_for(name, "registry.register_min_test_macro_f1=0.99"), model_a, metrics_a)
    assert result.version is None and "below registry.register_min_test_macro_f1 = 0.99" in result.refused[0]
    assert not MlflowClient(mlflow_env).search_model_versions(f"name='{name}'")
    record = tmp_path / "registered.json"
    assert main(["register", "--params", str(ROOT / "params.yaml"), "--preset", "tiny", "--model", str(model_a),
                 "--metrics", str(metrics_a), "--record", str(record), "-S", f"registry.model_name={name}",
                 "-S", "registry.register_min_test_macro_f1=0.99"]) == 0
    assert "not registered: test macro-F1" in capsys.readouterr().out
    assert json.loads(record.read_text())["registered"] is False
