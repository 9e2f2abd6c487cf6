import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from mcat.train.metrics import accuracy, macro_f1


def test_numpy_metrics_agree_with_scikit_learn():
    rng = np.random.default_rng(0)
    for trial in range(20):
        y = rng.integers(0, 6, size=50)
        p = np.where(rng.random(50) < 0.6, y, rng.integers(0, 7, size=50))
        assert accuracy(y, p) == accuracy_score(y, p)
        assert abs(macro_f1(y, p, 7) - f1_score(y, p, average="macro", zero_division=0)) < 1e-12
