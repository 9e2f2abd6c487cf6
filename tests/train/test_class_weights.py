import numpy as np
import pytest

from mcat.train.class_weights import effective_number_weights


def test_matches_the_formula_on_hand_made_counts():
    counts = np.array([1000, 100, 10, 0, 1])
    beta = 0.999
    raw = np.array([(1 - beta) / (1 - beta ** n) for n in (1000, 100, 10)] + [0.0] + [(1 - beta) / (1 - beta)])
    expected = raw * 4 / raw.sum()
    np.testing.assert_allclose(effective_number_weights(counts, beta), expected)
    weights = effective_number_weights(counts, beta)
    assert weights[3] == 0  # absent class
    assert weights[0] < weights[1] < weights[2] < weights[4]  # rarer classes weigh more
    assert weights[counts > 0].mean() == pytest.approx(1.0)


def test_beta_zero_is_uniform():
    np.testing.assert_allclose(effective_number_weights(np.array([5, 50, 500]), 0.0), [1, 1, 1])
