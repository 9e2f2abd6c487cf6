"""`dvc repro` of the whole pipeline on the tiny preset in a temporary git repo, then a no-op repro, param
granularity, an experiment, and `dvc push`/`dvc pull` against a real S3 endpoint on 127.0.0.1."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from conftest import ROOT

BIN = Path(sys.executable).parent


def sh(repo: Path, *cmd: str, env: dict) -> str:
    done = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory, mlflow_server):
    """A fresh project: the library sources, dvc.yaml, params.yaml = the tiny preset; git + dvc initialised."""
    repo = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "src", repo / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(ROOT / "dvc.yaml", repo)
    shutil.copy(ROOT / ".gitignore", repo)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "MLFLOW_TRACKING_URI": mlflow_server,
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    (repo / "params.yaml").write_text(sh(ROOT, "mcat", "params", "--preset", "tiny", "-S", "registry.model_name=dvc-test",
                                         "-S", "mlflow.experiment=dvc-test", env=env))
    sh(repo, "git", "init", "-q", env=env)
    sh(repo, "dvc", "init", "-q", env=env)
    sh(repo, "dvc", "config", "core.analytics", "false", env=env)
    sh(repo, "git", "add", "-A", env=env)
    sh(repo, "git", "commit", "-qm", "project", env=env)
    return repo, env


def test_repro_runs_every_stage_then_is_a_no_op(project):
    repo, env = project
    out = sh(repo, "dvc", "repro", env=env)
    for stage in ("synth", "ingest", "masks", "validate", "windows", "train", "evaluate", "speedtest", "register"):
        assert f"Running stage '{stage}'" in out
    metrics = json.loads((repo / "reports/metrics.json").read_text())
    assert {"val", "test", "speed_shift", "data_digest"} <= set(metrics)
    assert json.loads((repo / "reports/registered.json").read_text())["name"] == "dvc-test"
    speed = json.loads((repo / "reports/speed/summary.json").read_text())
    assert 0 <= speed["test"]["worst_macro_f1"] <= speed["test"]["macro_f1_auc"] <= 1
    out = sh(repo, "dvc", "repro", env=env)
    assert "Data and pipelines are up to date" in out, out
    shown = json.loads(sh(repo, "dvc", "plots", "show", "--json", env=env))
    assert set(shown["data"]) == {"training curves", "confusion matrix (fast executions)",
                                  "ROC (fast executions, one-vs-rest)", "speed stress test (macro-F1 vs playback speed)"}
    sh(repo, "git", "add", "-A", env=env)
    sh(repo, "git", "commit", "-qm", "first run", env=env)


def test_a_training_param_redoes_only_the_model_stages(project):
    repo, env = project
    params = (repo / "params.yaml").read_text()
    (repo / "params.yaml").write_text(params.replace("  epochs: 6\n", "  epochs: 3\n"))
    try:
        changed = set(json.loads(sh(repo, "dvc", "status", "--json", env=env)))
    finally:
        (repo / "params.yaml").write_text(params)
    assert changed == {"train"}


def test_an_experiment_swaps_the_model(project):
    repo, env = project
    sh(repo, "dvc", "exp", "run", "-S", "train.model=transformer", env=env)
    assert "model: transformer" in (repo / "params.yaml").read_text()
    diff = json.loads(sh(repo, "dvc", "metrics", "diff", "--json", env=env))
    assert "test.macro_f1" in diff["reports/metrics.json"]
    sh(repo, "git", "checkout", "--", ".", env=env)
    sh(repo, "dvc", "checkout", "-q", env=env)


def test_push_and_pull_through_an_s3_remote(project, s3_env):
    repo, env = project
    env = {**env, **{k: os.environ[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}}
    boto3.client("s3", endpoint_url=s3_env).create_bucket(Bucket="mcat-dvc")
    sh(repo, "dvc", "remote", "add", "-f", "-d", "storage", "s3://mcat-dvc/store", env=env)
    sh(repo, "dvc", "remote", "modify", "storage", "endpointurl", s3_env, env=env)
    sh(repo, "dvc", "push", env=env)
    stored = boto3.client("s3", endpoint_url=s3_env).list_objects_v2(Bucket="mcat-dvc", Prefix="store/")
    assert stored["KeyCount"] > 0
    labels = (repo / "data/synthetic/labels/train_000.csv").read_text()
    shutil.rmtree(repo / "data")
    shutil.rmtree(repo / ".dvc/cache")
    sh(repo, "dvc", "pull", env=env)
    assert (repo / "data/synthetic/labels/train_000.csv").read_text() == labels
    out = sh(repo, "dvc", "repro", env=env)
    assert "Data and pipelines are up to date" in out, out
