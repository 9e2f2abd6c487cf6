"""The model stages as Kubeflow component bodies: train, evaluate (Metrics and a ClassificationMetrics
confusion matrix for the Kubeflow UI), speedtest, register. MLflow and S3 settings come from the pod's env."""

from kfp.dsl import Artifact, ClassificationMetrics, Dataset, Input, Metrics, Model, Output


def train(params: str, windows: Input[Dataset], store: Input[Dataset], masks: Input[Dataset], pose: Input[Dataset],
          model: Output[Model], processes: int = 1):
    """Train (tracked in MLflow); ``model`` is the training folder: model.pt, history.csv, checkpoints/.
    ``processes`` > 1: data-parallel, torchrun with that many processes in this pod (one per GPU, NCCL).
    ``pose`` (the keypoints) is read by the pose input modes only."""
    from mcat.config import Params
    from mcat.train.launch import train_in_processes
    from mcat.train.stage import train
    from mcat_kubeflow.components.model import model_metadata

    if processes > 1:
        model_file = train_in_processes(params, processes, windows.path, store.path, masks.path, pose.path, model.path,
                                        track=True)
    else:
        p = Params.model_validate_json(params)
        model_file = train(p.train, windows.path, store.path, masks.path, model.path, pose=pose.path,
                           tracking=p.mlflow).model_path
    model.metadata.update(model_metadata(model_file))


def train_job(params: str, windows: Input[Dataset], store: Input[Dataset], masks: Input[Dataset],
              pose: Input[Dataset], model: Output[Model], image: str, staging: str, nodes: int, processes: int,
              accelerator: str, cpu: str, memory: str, secret: str, timeout_h: float):
    """Train on ``nodes`` nodes with ``processes`` GPUs each as a Kubeflow Trainer TrainJob of ``image``, wait for
    it and fetch its training folder into ``model`` (:mod:`mcat_kubeflow.trainjob`; inputs and model pass
    through ``staging``, an S3 prefix)."""
    from mcat_kubeflow.components.model import model_metadata
    from mcat_kubeflow.dag import SECRET_ENV
    from mcat_kubeflow.trainjob import JobLayout, run_train_job

    model_file = run_train_job(params, windows.path, store.path, masks.path, pose.path, model.path, image=image,
                               staging=staging,
                               layout=JobLayout(nodes, processes, accelerator, cpu, memory), secret=secret or None,
                               env_keys=SECRET_ENV, timeout_s=timeout_h * 3600)
    model.metadata.update(model_metadata(model_file))


def model_metadata(model_file) -> dict:
    """What the Kubeflow UI shows of a trained model: its best validation macro-F1 and its MLflow run."""
    from mcat.modelfile import load_model_file

    meta = load_model_file(model_file).meta
    return {"best_val_macro_f1": meta["val_macro_f1"], "mlflow_run_id": meta["mlflow_run_id"] or ""}


def evaluate(params: str, model: Input[Model], windows: Input[Dataset], store: Input[Dataset],
             masks: Input[Dataset], pose: Input[Dataset], reports: Output[Artifact], metrics: Output[Metrics],
             confusion: Output[ClassificationMetrics]) -> float:
    """Scores per split; returns the macro-F1 of the split the registry judges models on (nan if not scored)."""
    from pathlib import Path

    from mcat.config import Params
    from mcat.evaluate.stage import evaluate
    from mcat.registry.gates import GATE_SPLIT
    from mcat.registry.stage import metric_tags

    p = Params.model_validate_json(params)
    result = evaluate(p.evaluate, Path(model.path) / "model.pt", windows.path, store.path, masks.path, reports.path,
                      pose=pose.path, device=p.train.device, tracking=p.mlflow, explain=p.explain)
    for key, value in metric_tags(result.metrics).items():
        metrics.log_metric(key, float(value))
    if GATE_SPLIT in result.detail:
        confusion.log_confusion_matrix(list(result.detail[GATE_SPLIT]["per_class"]), result.detail[GATE_SPLIT]["confusion"])
    return float(result.metrics.get(GATE_SPLIT, {}).get("macro_f1", "nan"))


def speedtest(params: str, model: Input[Model], store: Input[Dataset], masks: Input[Dataset], pose: Input[Dataset],
              speed: Output[Artifact], metrics: Output[Metrics]):
    """The speed stress test: the curve (JSON, CSV, PNG) and its summary as Kubeflow metrics."""
    from pathlib import Path

    from mcat.config import Params
    from mcat.speedtest.stage import speedtest

    p = Params.model_validate_json(params)
    result = speedtest(p.speedtest, Path(model.path) / "model.pt", store.path, masks.path, speed.path,
                       pose=pose.path, device=p.train.device, tracking=p.mlflow)
    for split, summary in result.summary.items():
        for key, value in summary.items():
            metrics.log_metric(f"{split}_{key}", float(value))
    print(result.table)


def register(params: str, model: Input[Model], reports: Input[Artifact]) -> str:
    """A new version of ``registry.model_name`` with the alias ``challenger`` when the registration gate passes;
    returns the version ('' when refused, with the reasons in the log)."""
    from pathlib import Path

    from mcat.config import Params
    from mcat.registry.stage import register

    p = Params.model_validate_json(params)
    result = register(p.registry, Path(model.path) / "model.pt", Path(reports.path) / "metrics.json", tracking=p.mlflow)
    print(result.record())
    return result.version or ""
