"""The Kubeflow pipeline (:mod:`mcat_kubeflow.dag`) compiled, submitted to a cluster, or run here with kfp's
local runner.

The validated params (params.yaml + preset + ``-S``) become the pipeline's ``params`` default, so the IR
YAML is the experiment; the other pipeline parameters (ingest and mask shards, GPU type and count, CPU and memory
requests) take their defaults from params or the DAG and can be changed at submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mcat.atomic import atomic_file
from mcat.config import Params
from mcat.errors import McatError

def pipeline_arguments(params: Params, overrides: dict | None = None) -> dict:
    return {"params": params.model_dump_json(), "ingest_shards": params.ingest.shards,
            "mask_shards": params.masks.shards, **(overrides or {})}


def compile_pipeline(params: Params, out: Path, image: str, secret: str | None = "mcat-env",
                     train_image: str | None = None, train_nodes: int = 1, staging: str | None = None) -> Path:
    """Write the pipeline IR YAML to ``out``; ``image`` runs the data stages, ``train_image`` (default: ``image``)
    the training step. Use unique tags or digests: Kubeflow's cache keys on the strings. ``train_nodes`` > 1
    trains as a Kubeflow Trainer TrainJob whose inputs and model pass through ``staging`` (``s3://``)."""
    from kfp import compiler

    from mcat_kubeflow.dag import make_pipeline

    if train_nodes < 1:
        raise McatError(f"--train-nodes {train_nodes}: give 1 or more nodes")
    arguments = pipeline_arguments(params)
    if train_nodes > 1:
        if not (staging or "").startswith("s3://"):
            raise McatError(f"--train-nodes {train_nodes} needs --staging s3://BUCKET/PREFIX: the nodes fetch their "
                            "inputs and node 0 returns the model through S3 (got "
                            f"{staging or 'none'})")
        arguments["train_staging"] = staging
    with atomic_file(Path(out)) as tmp:
        compiler.Compiler().compile(make_pipeline(image, secret, train_image, train_nodes), str(tmp),
                                    pipeline_parameters=arguments)
    return Path(out)


def default_images(registry: str) -> tuple[str, str]:
    """(data image, training image) tagged with the checked-out commit: ``<registry>:<sha>-cpu`` and ``-cuda``."""
    import subprocess

    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True,
                             check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise McatError("cannot tell the commit to tag the images with (not a git checkout?): pass --image and "
                        "--train-image") from None
    return f"{registry}:{sha}-cpu", f"{registry}:{sha}-cuda"


def cluster_problems(params: Params) -> list[str]:
    """Params that point at this machine, which a pod cannot see, each with its fix."""
    problems = []
    if not params.ingest.source.startswith("s3://"):
        problems.append(f"ingest.source={params.ingest.source} is a local path the pods cannot read: put the dataset "
                        "in S3 and set ingest.source=s3://bucket/prefix")
    selfie = params.masks.selfie
    weights = {"selfie": {"selfie.model": selfie.model, "selfie.landscape_model": selfie.landscape_model},
               "yolo": {"yolo.weights": params.masks.yolo.weights}}.get(params.masks.backend, {})
    for key, path in weights.items():
        if path and "/" in path and not path.startswith("/"):
            problems.append(f"masks.{key} points at {path}, a relative path on this machine: bake the file into the "
                            "image (e.g. /opt/mcat/weights/) and give its absolute path")
    return problems


def submit(package: Path, host: str, experiment: str, run_name: str | None, arguments: dict) -> str:
    """Create a run of a compiled ``package`` on the Kubeflow Pipelines API at ``host``; returns its id."""
    import kfp

    if not Path(package).is_file():
        raise McatError(f"{package} does not exist: run `mcat pipeline compile` first")
    try:
        client = kfp.Client(host=host)
        run = client.create_run_from_pipeline_package(str(package), arguments=arguments, run_name=run_name,
                                                      experiment_name=experiment, enable_caching=None)
    except Exception as exc:  # noqa: BLE001 - kfp raises urllib3, ApiException, ValueError... for a bad host
        raise McatError(f"cannot create a run on {host}: {str(exc).splitlines()[0][:300]}; check --host "
                        "(the Kubeflow Pipelines API URL, e.g. http://localhost:8080 after a port-forward)") from None
    return run.run_id


@dataclass(frozen=True)
class LocalRun:
    root: Path
    test_macro_f1: float
    registered_version: str | None


def run_local(params: Params, root: Path, overrides: dict | None = None) -> LocalRun:
    """The same DAG through ``kfp.local.SubprocessRunner`` in this environment (no Docker engine needed):
    every component runs as a subprocess of this Python; outputs land under ``root``."""
    from kfp import local

    from mcat_kubeflow.dag import make_pipeline

    root = Path(root).resolve()
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root), raise_on_error=True)
    pipeline = make_pipeline("local", secret_name=None)
    try:
        pipeline(**pipeline_arguments(params, overrides))
    except RuntimeError as exc:
        raise McatError(f"local pipeline run failed: {str(exc).splitlines()[0][:300]}; task logs above") from None
    return LocalRun(root, *_local_outputs(root))


def _local_outputs(root: Path) -> tuple[float, str | None]:
    """The evaluation's test macro-F1 and the registered version, read from the newest run's task outputs."""
    import json

    run = max((p for p in root.glob("mcat-training-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    outputs = {p.parent.name: json.loads(p.read_text()) for p in run.glob("*/executor_output.json")}
    f1 = outputs.get("evaluate", {}).get("parameterValues", {}).get("Output")
    version = outputs.get("register", {}).get("parameterValues", {}).get("Output")
    return float(f1) if f1 is not None else float("nan"), version
