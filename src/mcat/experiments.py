"""``mcat experiments``: a list of (model, input mode, options, seed) trained and evaluated on the same
windows, written as a table in the layout of the paper's Tables 2–4, each row linked to its MLflow run."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from mcat.atomic import write_csv, write_text
from mcat.config import ExperimentRun, MlflowParams, Params
from mcat.evaluate.stage import evaluate
from mcat.train.stage import train

# The paper's figures on its fast (test) executions — Table 2, and Tables 3–4 for the ablations — as
# (accuracy, macro-F1, macro ROC-AUC) in percent; None where the paper gives no value.
PAPER = {
    ("mlp", "raw", ""): (51.1, 13.4, 78.5), ("mlp", "both", ""): (58.7, 30.2, 91.3), ("mlp", "mask", ""): (52.3, 19.8, 84.2),
    ("lstm", "raw", ""): (50.0, 14.7, 80.2), ("lstm", "both", ""): (70.0, 55.3, 96.1), ("lstm", "mask", ""): (61.2, 41.2, 92.3),
    ("tcn", "raw", ""): (57.8, 28.3, 89.7), ("tcn", "both", ""): (76.4, 68.6, 97.8), ("tcn", "mask", ""): (69.8, 58.9, 95.4),
    ("transformer", "raw", ""): (55.8, 34.0, 87.5), ("transformer", "both", ""): (76.5, 66.5, 97.6),
    ("transformer", "mask", ""): (71.2, 60.1, 95.8),
    ("vivit", "raw", ""): (51.2, 35.2, 48.1), ("vivit", "both", ""): (54.8, 48.0, 88.0), ("vivit", "mask", ""): (50.1, 39.8, 81.5),
    ("mcat", "raw", ""): (65.2, 51.6, 92.2), ("mcat", "both", ""): (85.5, 81.5, 98.5), ("mcat", "mask", ""): (80.6, 74.3, 98.0),
    ("mcat", "both", "fusion=none"): (55.8, 34.0, 87.5), ("mcat", "both", "fusion=concat"): (76.5, 66.5, 97.6),
    ("mcat", "both", "fusion=add"): (74.2, 62.8, 96.8), ("mcat", "both", "fusion=cross_attention"): (85.5, 81.5, 98.5),
    ("mcat", "both", "depth=2"): (83.2, 78.3, None), ("mcat", "both", "depth=4"): (85.5, 81.5, None),
    ("mcat", "both", "depth=6"): (85.2, 81.1, None), ("mcat", "both", "depth=8"): (84.8, 80.5, None),
}

COLUMNS = ["run", "model", "input", "options", "seed", "params_M", "val_accuracy", "val_macro_f1", "val_macro_roc_auc",
           "test_accuracy", "test_macro_f1", "test_macro_roc_auc", "paper_test_accuracy", "paper_test_macro_f1",
           "paper_test_macro_roc_auc", "wall_s", "train_clips_per_s", "mlflow_run"]


@dataclass(frozen=True)
class ExperimentsResult:
    rows: list[dict]
    table: Path
    markdown: str


def options_text(run: ExperimentRun) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(run.model_options.items()))


def run_name(run: ExperimentRun) -> str:
    parts = [run.model, run.input_mode, *(f"{k}{v}" for k, v in sorted(run.model_options.items()))]
    return "-".join(parts) + (f"-seed{run.seed}" if run.seed else "")


def run_experiments(params: Params, windows: Path, store: Path, masks: Path, models: Path, reports: Path, *,
                    tracking: MlflowParams | None = None) -> ExperimentsResult:
    """Train and evaluate every run of ``params.experiments`` (models under ``models/<run>``, reports under
    ``reports/<run>``), then write ``reports/table.md`` and ``reports/table.csv``."""
    rows = []
    for run in params.experiments.runs:
        name = run_name(run)
        train_params = params.train.model_copy(update={"model": run.model, "input_mode": run.input_mode,
                                                       "model_options": run.model_options, "seed": run.seed})
        start = time.perf_counter()
        result = train(train_params, windows, store, masks, Path(models) / name, tracking=tracking)
        scores = evaluate(params.evaluate, result.model_path, windows, store, masks, Path(reports) / name,
                          device=params.train.device, tracking=tracking).metrics
        paper = PAPER.get((run.model, run.input_mode, options_text(run)), (None, None, None))
        rows.append({
            "run": name, "model": run.model, "input": run.input_mode.upper(), "options": options_text(run),
            "seed": run.seed, "params_M": round(result.parameters / 1e6, 2),
            **{f"{split}_{k}": round(scores[split][k], 4) for split in ("val", "test") if split in scores
               for k in ("accuracy", "macro_f1", "macro_roc_auc")},
            **{f"paper_test_{k}": v for k, v in zip(("accuracy", "macro_f1", "macro_roc_auc"), paper)},
            "wall_s": round(time.perf_counter() - start, 1), "train_clips_per_s": round(result.clips_per_second, 1),
            "mlflow_run": result.run_id or "",
        })
    reports = Path(reports)
    write_csv(reports / "table.csv", COLUMNS, ([row.get(c, "") for c in COLUMNS] for row in rows))
    markdown = markdown_table(rows)
    write_text(reports / "table.md", markdown)
    return ExperimentsResult(rows, reports / "table.md", markdown)


def _pct(value) -> str:
    return "–" if value in (None, "") else f"{100 * value:.1f}"


def markdown_table(rows: list[dict]) -> str:
    """Accuracy, macro-F1 and macro ROC-AUC in percent: ours on val (slow) and test (fast), the paper's."""
    lines = ["| Model | Input | Options | Params | Val Acc | Val F1 | Val AUC | Test Acc | Test F1 | Test AUC "
             "| Paper Acc | Paper F1 | Paper AUC | Wall s | Clips/s | MLflow run |",
             "|" + "---|" * 16]
    for r in rows:
        paper = [("–" if r[f"paper_test_{k}"] is None else f"{r[f'paper_test_{k}']:.1f}")
                 for k in ("accuracy", "macro_f1", "macro_roc_auc")]
        lines.append(
            f"| {r['model']} | {r['input']} | {r['options'] or '–'} | {r['params_M']} M "
            f"| {_pct(r.get('val_accuracy'))} | {_pct(r.get('val_macro_f1'))} | {_pct(r.get('val_macro_roc_auc'))} "
            f"| {_pct(r.get('test_accuracy'))} | {_pct(r.get('test_macro_f1'))} | {_pct(r.get('test_macro_roc_auc'))} "
            f"| {' | '.join(paper)} | {r['wall_s']} | {r['train_clips_per_s']} | {r['mlflow_run'] or '–'} |")
    return "\n".join(lines) + "\n"
