"""``mcat evaluate``: score the model on each split, report the slow (val) vs fast (test) gap.

Output (under ``reports``)::

    metrics.json                  per split: accuracy, macro_f1, macro_roc_auc, windows, domain; speed_shift gap;
                                  data_digest (of the windows, store and masks scored)
    per_class.json                per split: precision, recall, F1, support per class, confusion matrix
    plots/<split>_confusion.png   counts and row-normalised;  plots/<split>_roc.png  one-vs-rest curves
    plots/<split>_confusion.csv   actual,predicted per window  (dvc plots: confusion template)
    plots/<split>_roc.csv         class,fpr,tpr                 (dvc plots: one curve per class)
    plots/explain/                with ``explain``: Grad-CAM and cross-attention pictures of ``explain.per_class``
                                  windows per class of ``explain.split`` (:mod:`mcat.explain.stage`)

All of it is logged to the model's MLflow run as metrics ``eval.<split>.<metric>`` and artifacts.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcat.atomic import atomic_dir, write_csv, write_text
from mcat.config import EvaluateParams, ExplainParams, MlflowParams
from mcat.data.dataset import WindowDataset
from mcat.data.digest import data_digest
from mcat.data.store import Store
from mcat.errors import McatError
from mcat.evaluate.metrics import classification_metrics
from mcat.evaluate.plots import confusion_png, roc_curves, roc_png
from mcat.inference import device_of, resolve_device, windows_proba
from mcat.modelfile import ModelFile, check_windows, load_model_file

HEADLINE = ("accuracy", "macro_f1", "macro_roc_auc")


@dataclass(frozen=True)
class EvaluateResult:
    metrics: dict[str, Any]
    detail: dict[str, Any]  # per split: per_class scores and the confusion matrix (per_class.json)
    reports: Path
    summary: str
    run_id: str | None  # the model's MLflow run these results were logged to; None when not tracked
    explained: str | None = None  # what explain drew, or why it drew nothing


def score_split(model: ModelFile, split: str, windows: Path, store: Path, masks: Path, batch_size: int,
                plots: Path, model_path: Path, pose: Path | None = None) -> dict[str, Any]:
    dataset = WindowDataset(windows, split, store, masks, pose_dir=pose)
    check_windows(model, dataset, model_path)
    device = device_of(model.model)
    labels, probs = windows_proba(model.model, dataset, batch_size, device)
    metrics = classification_metrics(labels, probs, model.class_names)
    names = model.class_names
    confusion_png(metrics["confusion"], names, f"{split}: confusion matrix", plots / f"{split}_confusion.png")
    curves = roc_curves(labels, probs, names)
    roc_png(curves, f"{split}: one-vs-rest ROC", plots / f"{split}_roc.png")
    write_csv(plots / f"{split}_confusion.csv", ["actual", "predicted"],
               ((names[a], names[p]) for a, p in zip(labels, probs.argmax(axis=1))))
    write_csv(plots / f"{split}_roc.csv", ["class", "fpr", "tpr"],
               ((name, float(f), float(t)) for name, (fpr, tpr) in curves.items() for f, t in zip(fpr, tpr)))
    return metrics


def read_metrics(path: Path) -> dict[str, Any]:
    """A ``metrics.json`` written by :func:`evaluate`, or a :class:`McatError` saying what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise McatError(f"{path} does not exist: run `mcat evaluate` (or `dvc repro`) first")
    try:
        metrics = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise McatError(f"{path} is not valid JSON ({exc}): run `mcat evaluate` again") from None
    if not isinstance(metrics, dict) or "data_digest" not in metrics:
        raise McatError(f"{path} is not an mcat evaluation (no data_digest): run `mcat evaluate` again")
    for split, scores in metrics.items():
        if split == "data_digest":
            continue
        for key in ("accuracy", "macro_f1", "macro_roc_auc"):
            value = scores.get(key) if isinstance(scores, dict) else None
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise McatError(f"{path}: {split}.{key} is {value!r}, not a number: run `mcat evaluate` again")
    return metrics


def mlflow_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """The evaluation's MLflow keys, apart from the training curve's (``val_macro_f1`` per epoch):
    ``eval.<split>.<metric>`` and ``eval.speed_shift.<metric>`` (val minus test)."""
    return {f"eval.{split}.{k}": m[k] for split, m in metrics.items() if split != "data_digest" for k in HEADLINE}


def speed_shift_table(metrics: dict[str, Any]) -> str:
    rows = [f"{'split':<8}{'domain':<10}{'windows':>8}{'accuracy':>10}{'macro-F1':>10}{'macro-AUC':>11}"]
    for split, m in metrics.items():
        if split not in ("speed_shift", "data_digest"):
            rows.append(f"{split:<8}{m['domain']:<10}{m['windows']:>8}{m['accuracy']:>10.3f}{m['macro_f1']:>10.3f}"
                        f"{m['macro_roc_auc']:>11.3f}")
    if "speed_shift" in metrics:
        gap = metrics["speed_shift"]
        rows.append(f"{'gap (val - test)':<26}{gap['accuracy']:>10.3f}{gap['macro_f1']:>10.3f}{gap['macro_roc_auc']:>11.3f}")
    return "\n".join(rows)


def explain_windows(params: ExplainParams, model: ModelFile, windows: Path, store: Path, masks: Path,
                    out: Path, pose: Path | None = None) -> str:
    """Draw ``params.per_class`` windows per class of ``params.split`` into ``out`` (``pose``: the keypoints the
    model reads, if any); what was drawn, or why not."""
    from mcat.explain.maps import cam_layers
    from mcat.explain.clips import explain_split, model_label

    try:
        cam_layers(model.network)
    except McatError as exc:
        return f"explain: none ({exc})"
    with atomic_dir(out) as tmp:
        explained = explain_split(params, {model_label(model, "", set()): model},
                                  WindowDataset(windows, params.split, store, masks, pose_dir=pose), tmp)
    return f"explain: {len(explained)} {params.split} windows ({params.method}) in {out}"


def evaluate(params: EvaluateParams, model_path: Path, windows: Path, store: Path, masks: Path, reports: Path, *,
             pose: Path | None = None, device: str = "auto", tracking: MlflowParams | None = None,
             explain: ExplainParams | None = None) -> EvaluateResult:
    """Score ``model_path`` on ``params.splits`` on ``device`` and write the reports (see the module docstring);
    ``pose``: the keypoints, for a model that reads them; with ``explain`` (when its split is scored and
    ``per_class`` > 0), the Grad-CAM pictures too; with ``tracking``, log them to the model's MLflow run."""
    model = load_model_file(model_path, resolve_device(device))
    pose = model.pose_store(pose, model_path)
    available = sorted(p.stem for p in Path(windows).glob("*.csv"))
    if not available:
        raise McatError(f"{windows} holds no window index: run `mcat windows` first (or pass --windows)")
    missing = [s for s in params.splits if s not in available]
    if missing:
        raise McatError(f"no windows for split(s) {', '.join(missing)} in {windows} (it has {', '.join(available)}); "
                        "set evaluate.splits")
    empty = [s for s in params.splits if not len(WindowDataset(windows, s, store, masks))]
    if empty:  # checked before any report is written
        raise McatError(f"split(s) {', '.join(empty)} have no window in {windows}: their recordings are shorter than "
                        "windows.T frames, or the split is empty; lower windows.T, add recordings, or leave them "
                        "out of evaluate.splits")
    domains: dict[str, set[str]] = {}
    for rec in Store(store).recordings:
        domains.setdefault(rec.split, set()).add(rec.domain)
    reports = Path(reports)
    detail, splits = {}, {}
    for split in params.splits:
        m = score_split(model, split, windows, store, masks, params.batch_size, reports / "plots", model_path, pose)
        detail[split] = {"per_class": m.pop("per_class"), "confusion": m.pop("confusion")}
        splits[split] = {**m, "domain": "+".join(sorted(domains.get(split, {"?"})))}
    metrics: dict[str, Any] = dict(splits)
    if {"val", "test"} <= set(splits):
        metrics["speed_shift"] = {k: splits["val"][k] - splits["test"][k] for k in HEADLINE}
    metrics["data_digest"] = data_digest(windows, store, masks, pose)  # promotion compares models on the same data
    explained = None
    if explain is not None and explain.per_class and explain.split in params.splits:
        explained = explain_windows(explain, model, windows, store, masks, reports / "plots" / "explain", pose)
    else:  # no pictures of an earlier evaluation beside these reports
        shutil.rmtree(reports / "plots" / "explain", ignore_errors=True)
        if explain is not None and explain.per_class:
            explained = (f"explain: none (explain.split '{explain.split}' is not among evaluate.splits "
                         f"{params.splits})")
    write_text(reports / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    write_text(reports / "per_class.json", json.dumps(detail, indent=2) + "\n")
    run_id = model.meta.get("mlflow_run_id")
    if tracking is not None and run_id:
        from mcat.tracking import MlflowRun

        with MlflowRun(tracking.experiment, run_id=run_id) as run:
            run.log_metrics(mlflow_metrics(metrics))
            run.log_artifacts([reports / "metrics.json", reports / "per_class.json"], artifact_path="reports")
            run.log_artifacts([reports / "plots"], artifact_path="reports/plots")
    logged = run_id if tracking is not None else None
    return EvaluateResult(metrics, detail, reports, speed_shift_table(metrics), logged, explained)
