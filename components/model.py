"""The model stages as Kubeflow component bodies: train, evaluate (Metrics and a ClassificationMetrics
confusion matrix for the Kubeflow UI), register. MLflow and S3 settings come from the pod's env."""

from kfp.dsl import Artifact, ClassificationMetrics, Dataset, Input, Metrics, Model, Output


def train(params: str, windows: Input[Dataset], store: Input[Dataset], masks: Input[Dataset], model: Output[Model]):
    """Train (tracked in MLflow); ``model`` is the training folder: model.pt, history.csv, checkpoints/."""
    from mcat.config import Params
    from mcat.train.stage import run_training

    result, run_id = run_training(Params.model_validate_json(params), windows.path, store.path, masks.path, model.path)
    model.metadata.update({"best_val_macro_f1": result.best_val_macro_f1, "mlflow_run_id": run_id or ""})


def evaluate(params: str, model: Input[Model], windows: Input[Dataset], store: Input[Dataset],
             masks: Input[Dataset], reports: Output[Artifact], metrics: Output[Metrics],
             confusion: Output[ClassificationMetrics]) -> float:
    """Scores per split; returns the test (fast) macro-F1 that gates registration."""
    import json
    from pathlib import Path

    from mcat.config import Params
    from mcat.evaluate.stage import evaluate
    from mcat.registry.register import metric_tags

    p = Params.model_validate_json(params)
    result = evaluate(p, Path(model.path) / "model.pt", windows.path, store.path, masks.path, reports.path)
    for key, value in metric_tags(result.metrics).items():
        metrics.log_metric(key.replace(".", "_"), float(value))
    split = "test" if "test" in p.evaluate.splits else p.evaluate.splits[-1]
    detail = json.loads((Path(reports.path) / "per_class.json").read_text())[split]
    confusion.log_confusion_matrix(list(detail["per_class"]), detail["confusion"])
    return float(result.metrics[split]["macro_f1"])


def register(params: str, model: Input[Model], reports: Input[Artifact]) -> str:
    """A new version of ``registry.model_name`` with the alias ``challenger``; returns the version."""
    from pathlib import Path

    from mcat.config import Params
    from mcat.registry.register import register

    result = register(Params.model_validate_json(params), Path(model.path) / "model.pt", Path(reports.path) / "metrics.json")
    return result.version
