"""Pictures for people (PNG) and plot data for ``dvc plots`` (CSV): confusion matrices, ROC curves,
training curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mcat.atomic import atomic_file


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only: no display on servers and clusters)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def confusion_png(confusion: np.ndarray, names: list[str], title: str, path: Path, unit: str = "windows") -> None:
    """Counts of ``unit`` and row-normalised shares side by side."""
    plt = pyplot()
    confusion = np.asarray(confusion)
    shares = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    size = 4 + 0.45 * len(names)
    fig, axes = plt.subplots(1, 2, figsize=(2 * size, size), constrained_layout=True)
    for ax, values, fmt, label in ((axes[0], confusion, "d", unit), (axes[1], shares, ".2f", "share of row")):
        image = ax.imshow(values, cmap="Blues")
        ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(names)), names, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        for (i, j), v in np.ndenumerate(values):
            if v:
                ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=6,
                        color="white" if v > values.max() / 2 else "black")
        fig.colorbar(image, ax=ax, label=label, shrink=0.7)
    fig.suptitle(title)
    with atomic_file(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def roc_curves(y_true: np.ndarray, probs: np.ndarray, names: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """One-vs-rest ROC curve (fpr, tpr) per class present in ``y_true`` with negatives too."""
    from sklearn.metrics import roc_curve

    curves = {}
    for c in np.unique(y_true):
        if 0 < np.sum(y_true == c) < len(y_true):
            fpr, tpr, _ = roc_curve(y_true == c, probs[:, c])
            curves[names[c]] = (fpr, tpr)
    return curves


def roc_png(curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str, path: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 6), constrained_layout=True)
    for name, (fpr, tpr) in curves.items():
        ax.plot(fpr, tpr, lw=1.2, label=name)
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="lower right")
    with atomic_file(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
