"""The model card: what a reviewer reads on a registered version's page before promoting it (markdown)."""

from __future__ import annotations

from typing import Any

from mcat.data.person_crop import crop_name
from mcat.evaluate.stage import HEADLINE
from mcat.modelfile import ModelFile

NAMES = {"accuracy": "accuracy", "macro_f1": "macro-F1", "macro_roc_auc": "macro-AUC"}


def model_card(model: ModelFile, metrics: dict[str, Any]) -> str:
    """Markdown: the model, its data and preprocessing, its scores per split and the speed-shift gap, its limits."""
    train, pre = model.meta["train"], model.preprocessing
    rows = [f"| {split} | {m.get('domain', '?')} | {m['windows']} | "
            + " | ".join(f"{m[key]:.3f}" for key in HEADLINE) + " |"
            for split, m in metrics.items() if isinstance(m, dict) and "windows" in m]
    lines = [
        f"**{train['model']}** ({train['input_mode']} input), best epoch {model.meta['best_epoch']} of "
        f"{train['epochs']} by validation macro-F1 {model.meta['val_macro_f1']:.3f}.",
        "",
        f"- classes ({len(model.class_names)}): {', '.join(model.class_names)}",
        f"- data digest: `{metrics['data_digest']}`; training run: `{model.meta.get('mlflow_run_id') or 'untracked'}`",
        f"- preprocessing: {pre.resolution}×{pre.resolution} px, windows of {pre.T} frames every {pre.stride}, "
        f"{pre.fps:g} fps clock, fit `{pre.fit}`, crop `{crop_name(pre.crop, pre.crop_margin)}`, masks from `{pre.mask_backend}`",
        "",
        "| split | executions | windows | " + " | ".join(NAMES[key] for key in HEADLINE) + " |",
        "|---|---|---|---|---|---|",
        *rows,
    ]
    if "speed_shift" in metrics:
        gap = metrics["speed_shift"]
        lines += ["", "Speed-shift gap (val − test, slow minus fast executions): "
                  + ", ".join(f"{NAMES[key]} {gap[key]:+.3f}" for key in HEADLINE) + "."]
    lines += ["", f"Limits: trained on masks from `{pre.mask_backend}`; predicting with another mask backend costs "
              "accuracy. Scores are on the evaluation data above only: check the model on recordings like yours "
              "(`mcat predict VIDEO --labels LABELS`) before promoting it."]
    return "\n".join(lines)
