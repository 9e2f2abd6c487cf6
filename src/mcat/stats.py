"""Class distributions and the divergence between splits, as the paper reports them."""

from __future__ import annotations

import numpy as np


def class_counts(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts int64 [num_classes] of integer ``labels`` (any shape)."""
    return np.bincount(np.asarray(labels, np.int64).ravel(), minlength=num_classes)[:num_classes]


def kl_divergence(p_counts: np.ndarray, q_counts: np.ndarray, eps: float = 1e-6) -> float:
    """KL(p‖q) in nats between two count vectors [C], each normalised; classes empty in q get ``eps``
    mass so that the value stays finite (a class absent from test must not make it infinite)."""
    p = np.asarray(p_counts, np.float64)
    q = np.asarray(q_counts, np.float64)
    if p.sum() == 0 or q.sum() == 0:
        return float("nan")
    p = p / p.sum()
    q = (q / q.sum() + eps) / (1 + eps * len(q))
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / q[nz])))


def distribution_table(counts: dict[str, np.ndarray], names: list[str]) -> str:
    """A plain-text table: one row per class, one column per split, shares in percent."""
    splits = list(counts)
    header = f"{'class':<26}" + "".join(f"{s:>10}" for s in splits)
    rows = [header]
    for c, name in enumerate(names):
        cells = []
        for s in splits:
            total = counts[s].sum()
            cells.append(f"{100 * counts[s][c] / total:9.1f}%" if total else f"{'-':>10}")
        rows.append(f"{name:<26}" + "".join(cells))
    return "\n".join(rows)
