"""``mcat speedtest``: how the model holds up when people move faster (or slower) than in its test recordings.

Each recording of ``speedtest.splits`` is played at each of ``speedtest.factors`` (:mod:`.resample`), cut into
windows exactly as ``mcat windows`` cuts them (the model's T and stride), and scored: accuracy, macro-F1 and
macro ROC-AUC per split and factor. A factor at which no recording of a split is long enough for one window
is recorded as skipped; a split with no factor left is an error. Works on any store (framewise, MM-Fit,
synthetic): it needs frames, masks and labels, not a renderer.

Output (under ``out``, written atomically)::

    curve.json     per split and factor: windows, accuracy, macro_f1, macro_roc_auc (or skipped); the summary
    curve.csv      split, factor, windows, accuracy, macro_f1, macro_roc_auc  (dvc plots: F1 vs factor)
    summary.json   per split: worst_macro_f1, worst_factor, macro_f1_auc (DVC metrics)
    curve.png      macro-F1 and accuracy vs factor (log axis), one line per split

``macro_f1_auc`` is the area under macro-F1 over log(factor), divided by the log range: 1.0 is a perfect
model at every speed, and a model whose F1 does not move with speed scores its F1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mcat.atomic import atomic_dir, write_csv
from mcat.config import MlflowParams, SpeedtestParams
from mcat.data.store import MaskStore, PoseStore, Store
from mcat.errors import McatError
from mcat.evaluate.metrics import classification_metrics
from mcat.evaluate.plots import pyplot
from mcat.inference import device_of, resolve_device, windows_proba
from mcat.modelfile import load_model_file
from mcat.speedtest.resample import ResampledWindows

HEADLINE = ("accuracy", "macro_f1", "macro_roc_auc")


@dataclass(frozen=True)
class SpeedtestResult:
    out: Path
    curve: dict[str, list[dict[str, Any]]]  # split → one row per factor
    summary: dict[str, dict[str, float]]  # split → worst_macro_f1, worst_factor, macro_f1_auc
    table: str
    run_id: str | None  # the model's MLflow run these results were logged to; None when not tracked


def summarise(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Worst macro-F1 (and its factor) and the normalised area under macro-F1 over log(factor) of the
    factors that were scored."""
    scored = [r for r in rows if not r.get("skipped")]
    worst = min(scored, key=lambda r: r["macro_f1"])
    logs, f1 = np.log([r["factor"] for r in scored]), np.array([r["macro_f1"] for r in scored])
    span = logs[-1] - logs[0]
    area = float(np.sum((f1[1:] + f1[:-1]) / 2 * np.diff(logs)) / span) if span > 0 else float(f1[0])
    return {"worst_macro_f1": worst["macro_f1"], "worst_factor": worst["factor"], "macro_f1_auc": area}


def metric_key(split: str, metric: str, first_split: str, factor: float | None = None) -> str:
    """MLflow keys: ``speed.macro_f1.2x`` (``speed.worst_macro_f1`` without a factor) for the first split,
    ``speed.<split>.macro_f1.2x`` for the others."""
    return (f"speed.{'' if split == first_split else split + '.'}{metric}"
            + ("" if factor is None else f".{factor:g}x"))


def speedtest(params: SpeedtestParams, model_path: Path, store: Path, masks: Path, out: Path, *,
              pose: Path | None = None, device: str = "auto", tracking: MlflowParams | None = None) -> SpeedtestResult:
    """Score ``model_path`` on ``params.splits`` played at ``params.factors``; write the curve into ``out``.
    ``pose``: the keypoints, for a model that reads them (they are played at each speed with their frames)."""
    model = load_model_file(model_path, resolve_device(device))
    pose = model.pose_store(pose, model_path)
    frames, mask_store = Store(store), MaskStore(masks)
    poses = None if pose is None else PoseStore(pose)
    pre = model.preprocessing
    if frames.class_names != model.class_names:
        raise McatError(f"{model_path} knows classes {model.class_names} but the store at {store} has "
                        f"{frames.class_names}: test the model on the data it was trained for")
    torch_device = device_of(model.model)
    # uncut windows get no crop at all, so that the model may score them from each frame's tokens (windows_proba)
    crops = (pre.window_crop(), pre.joints_crop()) if pre.crop != "none" else (None, None)
    curve: dict[str, list[dict[str, Any]]] = {}
    for split in params.splits:
        ids = [r.recording_id for r in frames.recordings if r.split == split]
        if not ids:
            splits = sorted({r.split for r in frames.recordings})
            raise McatError(f"the store at {store} has no '{split}' recordings (it has {', '.join(splits)}): "
                            "set speedtest.splits")
        rows = []
        for factor in params.factors:
            windows = ResampledWindows(frames, mask_store, ids, factor, pre.T, pre.stride, *crops, poses)
            if not len(windows):
                rows.append({"factor": factor, "windows": 0, "skipped": f"no '{split}' recording has {pre.T} frames "
                             f"at {factor:g}x"})
                continue
            labels, probs = windows_proba(model.model, windows, params.batch_size, torch_device)
            scores = classification_metrics(labels, probs, model.class_names)
            rows.append({"factor": factor, "windows": len(windows), **{k: scores[k] for k in HEADLINE}})
        if all(r.get("skipped") for r in rows):
            raise McatError(f"no '{split}' recording is long enough for one window of {pre.T} frames at any of the "
                            f"speed factors {params.factors}: lower the largest factors in speedtest.factors")
        curve[split] = rows
    summary = {split: summarise(rows) for split, rows in curve.items()}
    with atomic_dir(out) as tmp:
        (tmp / "curve.json").write_text(json.dumps({"model": str(model_path), "T": pre.T, "stride": pre.stride,
                                                    "curve": curve, "summary": summary}, indent=1) + "\n")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
        write_csv(tmp / "curve.csv", ["split", "factor", "windows", *HEADLINE],
                  ([split, r["factor"], r["windows"], *(round(r[k], 6) for k in HEADLINE)]
                   for split, rows in curve.items() for r in rows if not r.get("skipped")))
        _plot(tmp / "curve.png", curve)
    run_id = model.meta.get("mlflow_run_id")
    if tracking is not None and run_id:
        from mcat.tracking import MlflowRun

        first = params.splits[0]
        with MlflowRun(tracking.experiment, run_id=run_id) as run:
            run.log_metrics({metric_key(split, k, first, r["factor"]): r[k] for split, rows in curve.items()
                             for r in rows if not r.get("skipped") for k in HEADLINE})
            run.log_metrics({metric_key(split, k, first): v for split, s in summary.items() for k, v in s.items()})
            run.log_artifacts([Path(out) / "curve.json", Path(out) / "curve.png"], artifact_path="reports/speed")
    logged = run_id if tracking is not None else None
    return SpeedtestResult(Path(out), curve, summary, curve_table(curve, summary), logged)


def curve_table(curve: dict[str, list[dict[str, Any]]], summary: dict[str, dict[str, float]]) -> str:
    lines = [f"{'split':<8}{'factor':>7}{'windows':>9}{'accuracy':>10}{'macro-F1':>10}{'macro-AUC':>11}"]
    for split, rows in curve.items():
        for r in rows:
            if r.get("skipped"):
                lines.append(f"{split:<8}{r['factor']:>6g}x  skipped: {r['skipped']}")
            else:
                lines.append(f"{split:<8}{r['factor']:>6g}x{r['windows']:>9}{r['accuracy']:>10.3f}{r['macro_f1']:>10.3f}"
                             f"{r['macro_roc_auc']:>11.3f}")
        s = summary[split]
        lines.append(f"{split}: worst macro-F1 {s['worst_macro_f1']:.3f} at {s['worst_factor']:g}x; "
                     f"area under F1 over log(factor) {s['macro_f1_auc']:.3f}")
    return "\n".join(lines)


def _plot(path: Path, curve: dict[str, list[dict[str, Any]]]) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6), constrained_layout=True)
    for split, rows in curve.items():
        scored = [r for r in rows if not r.get("skipped")]
        x = [r["factor"] for r in scored]
        line, = ax.plot(x, [r["macro_f1"] for r in scored], marker="o", label=f"{split} macro-F1")
        ax.plot(x, [r["accuracy"] for r in scored], marker="s", linestyle="--", color=line.get_color(),
                label=f"{split} accuracy")
    save_speed_plot(fig, ax, path, sorted({r["factor"] for rows in curve.values() for r in rows}), "score",
                    "speed stress test")


def save_speed_plot(fig, ax, path: Path, factors: list[float], ylabel: str, title: str) -> None:
    """Finish a plot of scores in [0, 1] against the playback ``factors`` (log axis, one tick each) and save it."""
    ax.set_xscale("log")
    ax.set_xticks(factors, [f"{f:g}x" for f in factors])
    ax.minorticks_off()
    ax.set_ylim(0, 1)
    ax.set_xlabel("speed factor (playback of the recordings)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title)
    fig.savefig(path, dpi=110)
    pyplot().close(fig)
