"""MLflow tracking: where runs go, what they carry (params, tags, metrics, artifacts, the model), and
that a run never stays RUNNING after a crash. MLflow is imported only here.

Tracking URI: ``MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db`` in the working directory (the project).
"""

from __future__ import annotations

import hashlib
import os
import platform
import socket
import subprocess
import warnings
from pathlib import Path
from typing import Any

from mcat.errors import McatError

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
# MLflow retries an unreachable server for minutes by default; fail within seconds with our message instead.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def store_error(uri: str, exc: Exception) -> McatError:
    """The one message for a tracking store that does not answer."""
    first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
    return McatError(f"cannot use the MLflow tracking store {uri}: {first}; start the server or set MLFLOW_TRACKING_URI")


def connected_client():
    """An ``MlflowClient`` of the tracking store, after one request that shows the store answers."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri())
    try:
        client.search_experiments(max_results=1)
    except Exception as exc:  # noqa: BLE001 - MLflow raises many types for an unreachable store
        raise store_error(client.tracking_uri, exc) from None
    return client


def _holds(client, run_id: str) -> bool:
    """Whether the store of ``client`` holds the MLflow run ``run_id``."""
    from mlflow.exceptions import MlflowException

    try:
        client.get_run(run_id)
    except MlflowException:
        return False
    return True


def in_this_store(run_id: str | None) -> str | None:
    """``run_id`` when the current tracking store holds that run (the model is logged under it), else None
    (a model trained with --no-track or against another store gets a run of its own)."""
    from mlflow.tracking import MlflowClient

    return run_id if run_id and _holds(MlflowClient(tracking_uri()), run_id) else None


def require_run(run_id: str, checkpoint: Path) -> None:
    """A one-line error unless the tracking store answers and holds ``run_id``, the run that ``checkpoint``
    continues (a store deleted or switched since the training began)."""
    client = connected_client()
    if not _holds(client, run_id):
        raise McatError(f"{checkpoint} continues MLflow run {run_id}, which the tracking store {client.tracking_uri} "
                        f"does not hold: set MLFLOW_TRACKING_URI to the store it began in, or delete "
                        f"{checkpoint.parent} to train afresh")


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """{"train": {"lr": 3e-4}} → {"train.lr": "0.0003"}; lists and tuples as their str."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


def git_commit(cwd: Path | str = ".") -> str:
    """``<sha>`` of HEAD, with ``-dirty`` when tracked files changed; ``unknown`` outside a git checkout."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def lineage_tags(data_digest: str, cwd: Path | str = ".") -> dict[str, str]:
    """Tags that tie a run to its code and data: git commit, data digest, dvc.lock digest, system."""
    import torch

    lock = Path(cwd) / "dvc.lock"
    return {
        "git_commit": git_commit(cwd),
        "data_digest": data_digest,
        "dvc_lock_sha256": hashlib.sha256(lock.read_bytes()).hexdigest() if lock.is_file() else "none",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "host_cpus": str(os.cpu_count()),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
    }


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class MlflowRun:
    """A context manager around one MLflow run (new, or resumed by ``run_id``) that implements the
    training loop's ``Tracker``. Leaving it by an exception ends the run FAILED (KILLED for Ctrl-C or
    SIGTERM), never RUNNING."""

    def __init__(self, experiment: str, *, run_id: str | None = None, run_name: str | None = None):
        self.experiment, self.run_name = experiment, run_name
        self.run_id = run_id
        self.uri = tracking_uri()

    def __enter__(self) -> "MlflowRun":
        import mlflow

        mlflow.set_tracking_uri(self.uri)
        try:
            mlflow.set_experiment(self.experiment)
            run = mlflow.start_run(run_id=self.run_id, run_name=None if self.run_id else self.run_name)
        except Exception as exc:  # noqa: BLE001 - MLflow raises many types for an unreachable store
            raise store_error(self.uri, exc) from None
        self.run_id = run.info.run_id
        self.experiment_id = run.info.experiment_id
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        import mlflow

        if exc_type is None:
            status = "FINISHED"
        elif issubclass(exc_type, (KeyboardInterrupt, SystemExit)):
            status = "KILLED"
        else:
            status = "FAILED"
        mlflow.end_run(status=status)

    @property
    def url(self) -> str:
        """A link to the run in the MLflow UI when the store is a server, else ``runs:/<id>``."""
        if self.uri.startswith("http"):
            return f"{self.uri.rstrip('/')}/#/experiments/{self.experiment_id}/runs/{self.run_id}"
        return f"runs:/{self.run_id}"

    def log_params(self, params: dict[str, Any]) -> None:
        import mlflow

        items = list(flatten(params).items())
        for i in range(0, len(items), 100):  # MLflow takes at most 100 params per batch
            mlflow.log_params(dict(items[i:i + 100]))

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        import mlflow

        mlflow.log_metrics({k: float(v) for k, v in metrics.items()}, step=step)

    def set_tags(self, tags: dict[str, str]) -> None:
        import mlflow

        mlflow.set_tags(tags)

    def log_artifacts(self, paths: list[Path], artifact_path: str | None = None) -> None:
        import mlflow

        for path in paths:
            if Path(path).is_dir():
                mlflow.log_artifacts(str(path), artifact_path=artifact_path)
            elif Path(path).is_file():
                mlflow.log_artifact(str(path), artifact_path=artifact_path)

    def log_windows(self, windows: Path, data_digest: str) -> None:
        """Each split's window index (``<split>.csv``: recording_id, start, label) as an MLflow dataset input, so
        the run page shows what the model was trained, validated and tested on; tagged with the digest of the
        windows, frames and masks together (:func:`mcat.data.digest.data_digest`)."""
        import mlflow
        import pandas as pd

        contexts = {"train": "training", "val": "validation", "test": "test"}
        for path in sorted(Path(windows).glob("*.csv")):
            with warnings.catch_warnings():  # MLflow's hints on integer columns and local sources: not for an index
                warnings.simplefilter("ignore")  # (given when the dataset is made and again when it is logged)
                dataset = mlflow.data.from_pandas(pd.read_csv(path), source=str(Path(path).resolve()),
                                                  targets="label", name=f"{path.stem} windows")
                mlflow.log_input(dataset, context=contexts.get(path.stem, path.stem),
                                 tags={"mcat.data_digest": data_digest, "mcat.split": path.stem})

    def claim(self, out: Path) -> list[str]:
        """Mark this run as the one writing ``out`` from this process, and end as KILLED the runs that wrote
        ``out`` on this host from a process that is gone (SIGKILL, OOM kill or power loss end a run without
        ``__exit__``); returns their ids."""
        import mlflow
        from mlflow.tracking import MlflowClient

        owner = {"mcat.out": str(Path(out).resolve()), "mcat.host": socket.gethostname()}
        mlflow.set_tags({**owner, "mcat.pid": str(os.getpid())})
        client = MlflowClient(self.uri)
        query = " and ".join(f"tags.`{k}` = '{v.replace(chr(39), '')}'" for k, v in owner.items())
        orphans = [run.info.run_id for run in client.search_runs(
            [self.experiment_id], f"attributes.status = 'RUNNING' and {query}", max_results=100)
            if run.info.run_id != self.run_id and not _alive(int(run.data.tags.get("mcat.pid", "0")))]
        for run_id in orphans:
            client.set_tag(run_id, "mcat.ended_by", f"mcat train (run {self.run_id}): its process was gone")
            client.set_terminated(run_id, "KILLED")
        return orphans

    def log_torch_model(self, model, example) -> None:
        """The model as an MLflow PyTorch model with signature and input example (uint8 clips)."""
        import mlflow
        import torch
        from mlflow.models import infer_signature

        import mcat

        with torch.no_grad():
            output = model(torch.from_numpy(example)).numpy()
        mlflow.pytorch.log_model(
            model, name="model", signature=infer_signature(example, output), input_example=example,
            code_paths=[str(Path(mcat.__file__).parent)],
            pip_requirements=[f"torch=={torch.__version__.split('+')[0]}", "numpy"])
