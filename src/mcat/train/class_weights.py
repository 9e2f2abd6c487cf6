"""Effective-number class weights (Cui et al., 2019), as §4.2 uses them against class imbalance."""

from __future__ import annotations

import numpy as np


def effective_number_weights(counts: np.ndarray, beta: float) -> np.ndarray:
    """Weights float64 [C]: w_c = (1 - β) / (1 - β^n_c), scaled so the present classes' weights sum to
    their number (the mean weight is 1). Classes with n_c = 0 get 0 (they never appear as targets);
    β = 0 gives uniform weights."""
    counts = np.asarray(counts, np.float64)
    present = counts > 0
    weights = np.zeros_like(counts)
    weights[present] = (1.0 - beta) / (1.0 - np.power(beta, counts[present]))
    return weights * present.sum() / weights[present].sum()
