"""The registry's policy, in one place: which split a model is judged on, when it may be registered at all,
and when it may become the champion. Every shell (CLI, DVC, Kubeflow) goes through these functions.

- Registration: the evaluation's macro-F1 on :data:`GATE_SPLIT` ≥ ``registry.register_min_test_macro_f1``.
- Promotion: the challenger's macro-F1 on :data:`GATE_SPLIT` ≥ ``registry.min_test_macro_f1``; and, when
  there is a champion, both were evaluated on the same data (same data digest) and the challenger beats the
  champion by at least ``registry.min_improvement``.
"""

from __future__ import annotations

import math

from mcat.config import RegistryParams

#: The fast executions: the split the product's promise (robust to faster movement) is judged on.
GATE_SPLIT = "test"


def metric_tag(split: str, metric: str) -> str:
    """A version's tag key for one evaluation number, e.g. ``test_macro_f1``. No dots: MLflow's version page
    does not show tags whose keys hold one (versions registered before used ``test.macro_f1``)."""
    return f"{split}_{metric}"


def tagged_metric(version, split: str, metric: str) -> float:
    """An evaluation number from a registered version's tags (nan when missing), under its key or the dotted key
    of versions registered before."""
    value = version.tags.get(metric_tag(split, metric), version.tags.get(f"{split}.{metric}"))
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def registration_gate(params: RegistryParams, metrics: dict) -> list[str]:
    """The failed conditions (empty when the evaluated model may be registered), each with its numbers."""
    scores = metrics.get(GATE_SPLIT)
    if not isinstance(scores, dict):
        return [f"the evaluation has no '{GATE_SPLIT}' split: add {GATE_SPLIT} to evaluate.splits and evaluate again"]
    f1 = scores.get("macro_f1")
    f1 = float(f1) if isinstance(f1, (int, float)) else math.nan
    if not f1 >= params.register_min_test_macro_f1:
        return [f"{GATE_SPLIT} macro-F1 {f1:.4f} is below registry.register_min_test_macro_f1 = "
                f"{params.register_min_test_macro_f1}"]
    return []


def promotion_gates(params: RegistryParams, challenger, champion) -> list[str]:
    """The failed gates between two registered versions (MLflow ``ModelVersion``s; ``champion`` may be None),
    each with its numbers (empty when the challenger may be promoted)."""
    failed = []
    f1 = tagged_metric(challenger, GATE_SPLIT, "macro_f1")
    if not f1 >= params.min_test_macro_f1:
        failed.append(f"{GATE_SPLIT} macro-F1 {f1:.4f} is below registry.min_test_macro_f1 = {params.min_test_macro_f1}")
    if champion is not None and champion.version != challenger.version:
        if champion.tags.get("data_digest") != challenger.tags.get("data_digest"):
            failed.append(f"champion v{champion.version} was evaluated on other data (digest "
                          f"{champion.tags.get('data_digest', '?')[:12]} vs {challenger.tags.get('data_digest', '?')[:12]}): "
                          "evaluate both on the same windows")
        else:
            best = tagged_metric(champion, GATE_SPLIT, "macro_f1")
            if not f1 >= best + params.min_improvement:
                failed.append(f"{GATE_SPLIT} macro-F1 {f1:.4f} does not beat champion v{champion.version}'s {best:.4f} by "
                              f"registry.min_improvement = {params.min_improvement}")
    return failed
