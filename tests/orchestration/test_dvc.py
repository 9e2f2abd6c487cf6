"""`dvc repro` of the whole pipeline on the tiny preset in a temporary git repo, then a no-op repro, the plots,
param granularity, the versioning walk-through (an experiment, commits, the local remote), and `dvc push`/`dvc
pull` against a real S3 endpoint on 127.0.0.1."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from conftest import DEMO_INPUT_MODE, ROOT
from mcat.modelfile import load_model_file

BIN = Path(sys.executable).parent


def sh(repo: Path, *cmd: str, env: dict) -> str:
    done = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory, mlflow_server):
    """A fresh project: the library sources, dvc.yaml, params.yaml = the tiny preset with the demo's input mode; git +
    dvc initialised."""
    repo = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "src", repo / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(ROOT / "dvc.yaml", repo)
    shutil.copy(ROOT / ".gitignore", repo)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "MLFLOW_TRACKING_URI": mlflow_server,
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    (repo / "params.yaml").write_text(sh(ROOT, "mcat", "params", "--preset", "tiny", "-S", "registry.model_name=dvc-test",
                                         "-S", "mlflow.experiment=dvc-test", "-S", f"train.input_mode={DEMO_INPUT_MODE}",
                                         env=env))
    sh(repo, "git", "init", "-q", env=env)
    sh(repo, "dvc", "init", "-q", env=env)
    sh(repo, "dvc", "config", "core.analytics", "false", env=env)
    shutil.copytree(ROOT / ".dvc/plots", repo / ".dvc/plots")  # the project's plot templates and DVC config
    shutil.copy(ROOT / ".dvc/config", repo / ".dvc/config")
    sh(repo, "git", "add", "-A", env=env)
    sh(repo, "git", "commit", "-qm", "project", env=env)
    return repo, env


def test_repro_runs_every_stage_then_is_a_no_op(project):
    repo, env = project
    out = sh(repo, "dvc", "repro", env=env)
    for stage in ("synth", "ingest", "masks", "pose", "validate", "windows", "train", "evaluate", "speedtest",
                  "register"):
        assert f"Running stage '{stage}'" in out
    metrics = json.loads((repo / "reports/metrics.json").read_text())
    assert {"val", "test", "speed_shift", "data_digest"} <= set(metrics)
    assert json.loads((repo / "reports/registered.json").read_text())["name"] == "dvc-test"
    assert load_model_file(repo / "models/model.pt").input_mode == DEMO_INPUT_MODE
    speed = json.loads((repo / "reports/speed/summary.json").read_text())
    assert 0 <= speed["test"]["worst_macro_f1"] <= speed["test"]["macro_f1_auc"] <= 1
    out = sh(repo, "dvc", "repro", env=env)
    assert "Data and pipelines are up to date" in out, out
    shown = json.loads(sh(repo, "dvc", "plots", "show", "--json", env=env))
    assert set(shown["data"]) == {"training curves", "confusion matrix (fast executions)",
                                  "ROC (fast executions, one-vs-rest)", "speed stress test (macro-F1 vs playback speed)"}
    roc = shown["data"]["ROC (fast executions, one-vs-rest)"][0]["content"]
    classes = json.loads((repo / "reports/per_class.json").read_text())["test"]["per_class"]
    assert roc["encoding"]["color"]["field"] == "class"  # one curve per class, not one zig-zag line
    assert {point["class"] for point in roc["data"]["values"]} == set(classes)
    confusion = shown["data"]["confusion matrix (fast executions)"][0]["content"]
    axes = confusion["spec"]["encoding"]  # true classes on the rows, as in the PNG
    assert (axes["x"]["field"], axes["y"]["field"]) == ("predicted", "actual")
    sh(repo, "dvc", "plots", "show", "-o", "dvc_plots", env=env)
    page = (repo / "dvc_plots/index.html").read_text()  # the offline page: Vega inlined, nothing from a CDN
    assert "window.vegaEmbed=" in page and 'src="http' not in page and "<link" not in page and page.count("vegaEmbed('#") == 4
    # what a user commits after a run: the lock, the metrics and the small reports, nothing else
    status = sh(repo, "git", "status", "--porcelain", "--untracked-files=all", env=env).split("\n")
    assert sorted(line[3:] for line in status if line) == [
        "dvc.lock", "reports/metrics.json", "reports/registered.json", "reports/speed/curve.csv",
        "reports/speed/curve.json", "reports/speed/curve.png", "reports/speed/summary.json"]
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


def test_versioning_walkthrough_an_experiment_committed_then_the_older_commit_back(project):
    """The README's walk-through: push to the default remote (a local folder beside the project); an experiment
    that swaps the model (`dvc exp run -S`), compared with `dvc metrics diff`, committed and pushed; then the
    first commit's `git checkout` + `dvc checkout` brings back its model and metrics byte for byte, and a clone
    gets them with `dvc pull` from the remote."""
    repo, env = project
    remote = (repo / ".dvc" / sh(repo, "dvc", "remote", "list", env=env).split()[1]).resolve()
    assert not remote.is_relative_to(repo)  # outside the work tree
    first = sh(repo, "git", "rev-parse", "HEAD", env=env).strip()
    model, metrics = (repo / "models/model.pt").read_bytes(), (repo / "reports/metrics.json").read_text()
    sh(repo, "dvc", "push", env=env)
    sh(repo, "dvc", "exp", "run", "-S", "train.model=transformer", "-S", "train.input_mode=both", "-S", "train.epochs=1",
       env=env)  # 1: seconds
    assert "model: transformer" in (repo / "params.yaml").read_text()
    diff = json.loads(sh(repo, "dvc", "metrics", "diff", "--json", env=env))
    assert any(key.startswith("test.") for key in diff["reports/metrics.json"])  # what changed (equal values are left out)
    assert (repo / "models/model.pt").read_bytes() != model
    sh(repo, "git", "commit", "-qam", "transformer", env=env)
    sh(repo, "dvc", "push", env=env)
    sh(repo, "git", "checkout", "-q", first, env=env)
    sh(repo, "dvc", "checkout", env=env)
    assert (repo / "models/model.pt").read_bytes() == model and (repo / "reports/metrics.json").read_text() == metrics
    clone = repo.parent / f"{repo.name}-clone"  # beside the project, where the relative remote path still holds
    sh(repo.parent, "git", "clone", "-q", str(repo), clone.name, env=env)
    sh(clone, "git", "checkout", "-q", first, env=env)
    sh(clone, "dvc", "pull", "models/model.pt", env=env)
    assert (clone / "models/model.pt").read_bytes() == model


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
