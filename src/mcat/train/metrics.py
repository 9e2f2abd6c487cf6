"""Accuracy and macro-F1 in numpy, for the training loop (which must run without scikit-learn);
``tests/train/test_metrics.py`` checks them against scikit-learn."""

from __future__ import annotations

import numpy as np


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred))) if len(y_true) else float("nan")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """int64 [C, C]: row = true class, column = predicted class (sums of several processes add up)."""
    confusion = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(confusion, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return confusion


def f1_from_confusion(confusion: np.ndarray) -> float:
    """Unweighted mean of per-class F1 over the classes that occur as a label or a prediction (as scikit-learn
    does by default); a class never predicted has F1 0."""
    predicted, actual = confusion.sum(axis=0), confusion.sum(axis=1)
    labels = np.flatnonzero(predicted + actual)
    if not len(labels):
        return float("nan")
    tp = np.diag(confusion)[labels].astype(np.float64)
    denominator = predicted[labels] + actual[labels]
    return float((2 * tp / denominator).mean())


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> float:
    """Macro-F1 of labels and predictions (see :func:`f1_from_confusion`)."""
    return f1_from_confusion(confusion_matrix(y_true, y_pred, num_classes))
