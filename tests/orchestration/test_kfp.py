"""The Kubeflow pipeline: compiled IR that kfp loads back (GPU request, secret env, fan-out, defaults from params), a
local run of the whole DAG producing a registered model in a real `mlflow server`, and clean errors."""

import json
import shutil
import subprocess
import uuid

import pytest
import yaml
from kfp import components
from mlflow.tracking import MlflowClient

from mcat.cli import main
from mcat_kubeflow.run import run_local

from conftest import DEMO_INPUT_MODE, ROOT, tiny_params, with_source


def test_compile_writes_ir_that_kfp_loads_back(tmp_path, capsys):
    package = tmp_path / "pipeline.yaml"
    assert main(["pipeline", "compile", "--preset", "tiny", "--package", str(package),
                 "--image", "registry.example/mcat:abc123-cpu", "--train-image", "registry.example/mcat:abc123-cuda"]) == 0
    warnings = capsys.readouterr().err
    assert "ingest.source=data/synthetic is a local path the pods cannot read" in warnings
    assert "masks.selfie" not in warnings  # tiny masks with the dataset's own (provided) masks
    loaded = components.load_component_from_file(str(package))
    assert loaded.name == "mcat-training"
    assert {"params", "mask_shards", "train_accelerator"} <= set(loaded.component_spec.inputs)
    assert "register_min_test_macro_f1" not in loaded.component_spec.inputs  # the library's gate decides
    ir, platform = yaml.safe_load_all(package.read_text())
    executors = ir["deploymentSpec"]["executors"]
    images = {name: e["container"]["image"] for name, e in executors.items()}
    assert images.pop("exec-train") == "registry.example/mcat:abc123-cuda"
    assert set(images.values()) == {"registry.example/mcat:abc123-cpu"}
    processes = ir["root"]["dag"]["tasks"]["train"]["inputs"]["parameters"]["processes"]
    assert processes["componentInputParameter"] == "train_accelerator_count"  # torchrun, one process per GPU
    resources = executors["exec-train"]["container"]["resources"]
    assert "train_accelerator" in resources["accelerator"]["resourceType"]
    assert "train_memory" in resources["resourceMemoryRequest"]
    tasks = ir["root"]["dag"]["tasks"]
    assert {"for-loop-1", "for-loop-2", "gather-store", "gather-masks", "register"} <= set(tasks)
    assert all("parameterIterator" in tasks[loop] for loop in ("for-loop-1", "for-loop-2"))
    defaults = ir["root"]["inputDefinitions"]["parameters"]
    assert defaults["mask_shards"]["defaultValue"] == defaults["ingest_shards"]["defaultValue"] == 2  # tiny's
    assert tasks["gather-store"]["cachingOptions"].get("enableCache") and not tasks["train"]["cachingOptions"]
    secrets = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-train"]["secretAsEnv"]
    assert secrets[0]["secretName"] == "mcat-env"
    assert "MLFLOW_TRACKING_URI" in {m["envVar"] for m in secrets[0]["keyToEnv"]}
    assert '"preset"' not in ir["root"]["inputDefinitions"]["parameters"]["params"]["defaultValue"]


def test_compile_outside_a_git_checkout_needs_only_the_images(tmp_path, monkeypatch, capsys):
    shutil.copy(ROOT / "params.yaml", tmp_path)
    shutil.copytree(ROOT / "presets", tmp_path / "presets")
    monkeypatch.chdir(tmp_path)
    package = tmp_path / "pipeline.yaml"
    compile_tiny = ["pipeline", "compile", "--preset", "tiny", "--package", str(package)]
    assert main(compile_tiny) == 1 and not package.exists()
    assert "pass --image and --train-image" in capsys.readouterr().err
    assert main([*compile_tiny, "--image", "registry.example/mcat:1-cpu", "--train-image",
                 "registry.example/mcat:1-cuda"]) == 0
    ir = next(yaml.safe_load_all(package.read_text()))
    assert ir["deploymentSpec"]["executors"]["exec-train"]["container"]["image"] == "registry.example/mcat:1-cuda"


def test_cluster_problems_name_each_selfie_model_on_a_relative_path():
    from mcat_kubeflow.run import cluster_problems

    problems = cluster_problems(tiny_params("masks.backend=selfie", "ingest.source=s3://bucket/data",
                                            "masks.selfie.model=/opt/mcat/weights/selfie.tflite"))
    assert len(problems) == 1 and problems[0].startswith("masks.selfie.landscape_model points at ../shared/models/")


def test_submit_to_an_unreachable_host_says_so(tmp_path, capsys):
    package = tmp_path / "pipeline.yaml"
    assert main(["pipeline", "compile", "--preset", "tiny", "--package", str(package)]) == 0
    sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    ir = next(yaml.safe_load_all(package.read_text()))
    assert ir["deploymentSpec"]["executors"]["exec-train"]["container"]["image"] == f"ghcr.io/mcat-ml/mcat:{sha.strip()}-cuda"
    capsys.readouterr()
    code = main(["pipeline", "submit", "--package", str(package), "--host", "http://127.0.0.1:9"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "cannot create a run on http://127.0.0.1:9" in err and "\n" not in err, err
    assert main(["pipeline", "submit", "--package", str(tmp_path / "none.yaml"), "--host", "http://x"]) == 1


@pytest.mark.slow
def test_the_dag_runs_locally_and_registers_a_model(tiny_dataset, tiny_store, tmp_path, mlflow_env, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = f"kfp-{uuid.uuid4().hex[:6]}"
    params = with_source(tiny_params(f"registry.model_name={name}", "registry.min_test_macro_f1=0",
                                     "mlflow.experiment=kfp-test", f"train.input_mode={DEMO_INPUT_MODE}"), tiny_dataset)
    result = run_local(params, tmp_path / "runs", {"mask_shards": 2, "ingest_shards": 2})
    assert result.registered_version == "1" and 0 <= result.test_macro_f1 <= 1
    run = next((tmp_path / "runs").glob("mcat-training-*"))
    assert len(list(run.glob("for-loop-*/masks-shard"))) == 2 and len(list(run.glob("for-loop-*/ingest-shard"))) == 2
    gathered = run / "gather-store" / "store" / "recordings.csv"
    assert gathered.read_text() == (tiny_store[0] / "recordings.csv").read_text()  # as one ingest of it all
    curve = json.loads((run / "speedtest" / "speed" / "curve.json").read_text())["curve"]["test"]
    assert [r["factor"] for r in curve] == [0.5, 1, 1.5, 2, 3, 4]
    masks = run / "gather-masks" / "masks"
    assert (masks / "quality.csv").read_text().count("\n") == 1 + len(list(masks.glob("*.npy")))
    version = MlflowClient(mlflow_env).get_model_version_by_alias(name, "challenger")
    assert version.version == "1" and float(version.tags["test_macro_f1"]) == pytest.approx(result.test_macro_f1)
