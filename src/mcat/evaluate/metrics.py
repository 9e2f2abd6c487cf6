"""Classification metrics computed by scikit-learn: accuracy, macro-F1, macro ROC-AUC, per-class report,
confusion matrix."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support, roc_auc_score


def macro_roc_auc(y_true: np.ndarray, probs: np.ndarray) -> float:
    """Unweighted mean over classes of the one-vs-rest ROC-AUC of ``probs[:, c]``, over the classes present
    in ``y_true`` (a class with no positive, or no negative, window has no ROC curve and is left out)."""
    aucs = [roc_auc_score(y_true == c, probs[:, c]) for c in np.unique(y_true) if 0 < np.sum(y_true == c) < len(y_true)]
    return float(np.mean(aucs)) if aucs else float("nan")


def classification_metrics(y_true: np.ndarray, probs: np.ndarray, class_names: list[str]) -> dict[str, Any]:
    """Metrics of predictions ``probs`` float [N, C] against ``y_true`` int [N].

    Returns ``accuracy``, ``macro_f1`` (over the classes in y_true or the predictions, as scikit-learn
    does), ``macro_roc_auc``, ``windows``, ``per_class`` {name: precision, recall, f1, support} and
    ``confusion`` [C, C] (rows: true class, columns: predicted).
    """
    y_pred = probs.argmax(axis=1)
    labels = list(range(len(class_names)))
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "macro_roc_auc": macro_roc_auc(y_true, probs),
        "windows": int(len(y_true)),
        "per_class": {name: {"precision": float(precision[c]), "recall": float(recall[c]), "f1": float(f1[c]),
                             "support": int(support[c])} for c, name in enumerate(class_names)},
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
