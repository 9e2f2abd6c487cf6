"""``mcat experiments``: a matrix of (model, input mode, options, tempo augmentation) trained and evaluated on
the same windows once per seed, each run also put through the speed stress test, and written as tables in the
layout of the paper's Tables 2–4: one row per run (``table.csv``, linked to its MLflow run) and one row per
configuration with the mean and the 95% confidence interval over seeds (``summary.csv``, ``table.md``); and each
configuration's speed curve, the speed test's macro-F1 at every playback factor with its interval over seeds
(``curves.csv``, ``curves.md``, ``curves.png``).

The interval is Student's t over seeds: it measures how much a result moves with the training seed on this
test set, not how it would move on other test recordings (the test split must be large enough for that).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcat.atomic import write_csv, write_text
from mcat.config import ExperimentRun, MlflowParams, Params
from mcat.evaluate.plots import pyplot
from mcat.evaluate.stage import evaluate
from mcat.speedtest.stage import save_speed_plot, speedtest
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

SCORES = ("accuracy", "macro_f1", "macro_roc_auc")
SPEED = ("worst_macro_f1", "macro_f1_auc")
COLUMNS = ["run", "config", "model", "input", "options", "tempo", "mask_noise", "pose_noise", "seed", "params_M",
           *(f"{split}_{k}" for split in ("val", "test") for k in SCORES), *(f"speed_{k}" for k in SPEED),
           "speed_curve", "wall_s", "train_clips_per_s", "mlflow_run"]
MEASURES = [*(f"{split}_{k}" for split in ("val", "test") for k in SCORES), *(f"speed_{k}" for k in SPEED)]


@dataclass(frozen=True)
class ExperimentsResult:
    rows: list[dict]  # one per run (configuration × seed)
    summary: list[dict]  # one per configuration: <measure>_mean, <measure>_ci95, seeds
    table: Path
    markdown: str
    curves: list[dict]  # one per configuration and speed factor: macro_f1_mean, macro_f1_ci95, seeds
    curves_markdown: str


def options_text(run: ExperimentRun) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(run.model_options.items()))


def range_text(low_high: tuple[float, float]) -> str:
    return f"{low_high[0]:g}-{low_high[1]:g}"


def tempo_text(tempo: tuple[float, float]) -> str:
    """A tempo augmentation range as the tables write it: ``0.8-3``; empty when it is off ([1, 1])."""
    return "" if tuple(tempo) == (1.0, 1.0) else range_text(tempo)


def config_name(run: ExperimentRun) -> str:
    parts = [run.model, run.input_mode, *(f"{k}{v}" for k, v in sorted(run.model_options.items()))]
    return ("-".join(parts) + (f"-tempo{range_text(run.tempo)}" if run.tempo else "")
            + (f"-masknoise{run.mask_noise:g}" if run.mask_noise is not None else "")
            + (f"-posenoise{run.pose_noise:g}" if run.pose_noise is not None else ""))


def run_name(run: ExperimentRun, seed: int) -> str:
    return config_name(run) + (f"-seed{seed}" if seed else "")


def mean_ci95(values: list[float]) -> tuple[float, float]:
    """The mean and the half-width of its 95% Student-t interval (nan for a single value)."""
    from scipy.stats import t as student

    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], float)
    if not len(x):
        return math.nan, math.nan
    if len(x) < 2:
        return float(x.mean()), math.nan
    return float(x.mean()), float(student.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))


def run_experiments(params: Params, windows: Path, store: Path, masks: Path, models: Path, reports: Path, *,
                    pose: Path | None = None, tracking: MlflowParams | None = None) -> ExperimentsResult:
    """Train, evaluate and speed-test every run of ``params.experiments`` with every seed (models under
    ``models/<run>``, reports under ``reports/<run>``; ``pose``: the keypoints the pose input modes read), then
    write ``table.csv``, ``summary.csv`` and ``table.md`` into ``reports``."""
    rows = []
    for run in params.experiments.runs:
        for seed in params.experiments.seeds:
            name = run_name(run, seed)
            augment = params.train.augment.model_copy(update={
                key: value for key, value in (("tempo", run.tempo), ("mask_noise", run.mask_noise),
                                              ("pose_noise", run.pose_noise)) if value is not None})
            train_params = params.train.model_copy(update={"model": run.model, "input_mode": run.input_mode,
                                                           "model_options": run.model_options, "seed": seed,
                                                           "augment": augment})
            start = time.perf_counter()
            result = train(train_params, windows, store, masks, Path(models) / name, pose=pose, tracking=tracking)
            scores = evaluate(params.evaluate, result.model_path, windows, store, masks, Path(reports) / name,
                              pose=pose, device=params.train.device, tracking=tracking).metrics
            speed = speedtest(params.speedtest, result.model_path, store, masks, Path(reports) / name / "speed",
                              pose=pose, device=params.train.device, tracking=tracking)
            first = params.speedtest.splits[0]
            rows.append({
                "run": name, "config": config_name(run), "model": run.model, "input": run.input_mode.upper(),
                "options": options_text(run), "tempo": tempo_text(augment.tempo),
                "mask_noise": f"{augment.mask_noise:g}", "pose_noise": f"{augment.pose_noise:g}", "seed": seed,
                "params_M": round(result.parameters / 1e6, 2),
                **{f"{split}_{k}": round(scores[split][k], 4) for split in ("val", "test") if split in scores
                   for k in SCORES},
                **{f"speed_{k}": round(speed.summary[first][k], 4) for k in SPEED},
                "speed_curve": " ".join(f"{r['factor']:g}x:{r['macro_f1']:.3f}" for r in speed.curve[first]
                                        if not r.get("skipped")),
                "wall_s": round(time.perf_counter() - start, 1),
                "train_clips_per_s": round(result.clips_per_second, 1), "mlflow_run": result.run_id or "",
            })
    summary = summarise_runs(rows)
    reports = Path(reports)
    write_csv(reports / "table.csv", COLUMNS, ([row.get(c, "") for c in COLUMNS] for row in rows))
    summary_columns = list(summary[0])
    write_csv(reports / "summary.csv", summary_columns, ([row[c] for c in summary_columns] for row in summary))
    markdown = markdown_table(summary)
    write_text(reports / "table.md", markdown)
    curves = summarise_curves(rows)
    write_csv(reports / "curves.csv", CURVE_COLUMNS, ([row[c] for c in CURVE_COLUMNS] for row in curves))
    curves_text = curves_table(curves)
    write_text(reports / "curves.md", curves_text)
    curves_png(reports / "curves.png", curves)
    return ExperimentsResult(rows, summary, reports / "table.md", markdown, curves, curves_text)


def summarise_runs(rows: list[dict]) -> list[dict]:
    """One row per configuration, in first-seen order: its description, the seeds, the paper's figures, and
    ``<measure>_mean`` / ``<measure>_ci95`` of every measure over the seeds."""
    configs: dict[str, list[dict]] = {}
    for row in rows:
        configs.setdefault(row["config"], []).append(row)
    out = []
    for name, runs in configs.items():
        first = runs[0]
        paper = PAPER.get((first["model"], first["input"].lower(), first["options"]), (None, None, None))
        summary = {"config": name, **{k: first.get(k, "") for k in ("model", "input", "options", "tempo", "mask_noise",
                                                                   "pose_noise", "params_M")},
                   "seeds": len(runs), **{f"paper_test_{k}": v for k, v in zip(SCORES, paper)}}
        for measure in MEASURES:
            summary[f"{measure}_mean"], summary[f"{measure}_ci95"] = mean_ci95([r.get(measure) for r in runs])
        out.append(summary)
    return out


CURVE_COLUMNS = ["config", "factor", "seeds", "macro_f1_mean", "macro_f1_ci95"]


def curve_points(text: str) -> dict[float, float]:
    """A run's ``speed_curve`` as ``table.csv`` writes it (``0.5x:0.650 1x:0.678 ...``; factors the speed test
    skipped are left out) → {factor: macro-F1}."""
    return {float(factor.removesuffix("x")): float(f1) for factor, f1 in (p.split(":") for p in text.split())}


def summarise_curves(rows: list[dict]) -> list[dict]:
    """Each configuration's speed curve over its seeds, in first-seen order: one row per configuration and
    playback factor with ``macro_f1_mean`` / ``macro_f1_ci95`` over the ``seeds`` whose speed test scored it."""
    configs: dict[str, list[dict[float, float]]] = {}
    for row in rows:
        configs.setdefault(row["config"], []).append(curve_points(row.get("speed_curve", "")))
    out = []
    for name, curves in configs.items():
        for factor in sorted({f for curve in curves for f in curve}):
            values = [curve[factor] for curve in curves if factor in curve]
            mean, ci = mean_ci95(values)
            out.append({"config": name, "factor": factor, "seeds": len(values), "macro_f1_mean": mean,
                        "macro_f1_ci95": ci})
    return out


def curves_table(curves: list[dict]) -> str:
    """The speed curves of :func:`summarise_curves` as a markdown table: per configuration, the speed test's
    macro-F1 at each playback factor in percent, mean ± 95% CI over seeds."""
    factors = sorted({c["factor"] for c in curves})
    by_config: dict[str, dict[float, dict]] = {}
    for c in curves:
        by_config.setdefault(c["config"], {})[c["factor"]] = c
    lines = ["| Configuration | Seeds | " + " | ".join(f"F1 at {f:g}x" for f in factors) + " |",
             "|---|---|" + "---|" * len(factors)]
    for name, points in by_config.items():
        cells = [_pm(points[f], "macro_f1") if f in points else "–" for f in factors]
        lines.append(f"| {name} | {max(p['seeds'] for p in points.values())} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def curves_png(path: Path, curves: list[dict]) -> None:
    """The speed curves of :func:`summarise_curves`: macro-F1 against the playback factor (log axis), one line
    per configuration with its 95% interval as error bars."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    by_config: dict[str, list[dict]] = {}
    for c in curves:
        by_config.setdefault(c["config"], []).append(c)
    for name, points in by_config.items():
        ci = [0.0 if not math.isfinite(p["macro_f1_ci95"]) else p["macro_f1_ci95"] for p in points]
        ax.errorbar([p["factor"] for p in points], [p["macro_f1_mean"] for p in points], yerr=ci, marker="o",
                    capsize=3, label=f"{name} ({max(p['seeds'] for p in points)} seeds)")
    save_speed_plot(fig, ax, path, sorted({c["factor"] for c in curves}), "macro-F1, mean ± 95% CI over seeds",
                    "speed curves per configuration")


def _pm(row: dict, measure: str) -> str:
    mean, ci = row.get(f"{measure}_mean"), row.get(f"{measure}_ci95")
    if mean is None or not math.isfinite(mean):
        return "–"
    return f"{100 * mean:.1f}" + ("" if ci is None or not math.isfinite(ci) else f" ± {100 * ci:.1f}")


def _share(text: str) -> str:
    """A noise share as the tables write it: ``off`` for none."""
    return "off" if text in ("", "0") else text


def markdown_table(summary: list[dict]) -> str:
    """Per configuration, in percent, mean ± 95% CI over seeds: val (slow) and test (fast) accuracy, macro-F1
    and macro-AUC, the speed test's worst macro-F1 and area under F1 over log(speed); the paper's figures."""
    lines = ["| Model | Input | Options | Tempo aug. | Mask noise | Pose noise | Seeds | Val F1 | Test Acc | Test F1 "
             "| Test AUC | Speed worst F1 | Speed F1 area | Paper Acc | Paper F1 | Paper AUC |",
             "|" + "---|" * 16]
    for r in summary:
        paper = ["–" if r[f"paper_test_{k}"] is None else f"{r[f'paper_test_{k}']:.1f}" for k in SCORES]
        lines.append(
            f"| {r['model']} | {r['input']} | {r['options'] or '–'} | {r['tempo'] or 'off'} "
            f"| {_share(r['mask_noise'])} | {_share(r['pose_noise'])} | {r['seeds']} "
            f"| {_pm(r, 'val_macro_f1')} | {_pm(r, 'test_accuracy')} | {_pm(r, 'test_macro_f1')} "
            f"| {_pm(r, 'test_macro_roc_auc')} | {_pm(r, 'speed_worst_macro_f1')} | {_pm(r, 'speed_macro_f1_auc')} "
            f"| {' | '.join(paper)} |")
    return "\n".join(lines) + "\n"
