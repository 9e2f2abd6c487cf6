import numpy as np
import pytest

from mcat.evaluate.metrics import classification_metrics, macro_roc_auc


def test_hand_made_predictions():
    names = ["non_activity", "squats", "lunges", "situps"]
    y = np.array([0, 0, 1, 1, 2, 2])
    probs = np.array([
        [0.7, 0.1, 0.1, 0.1],  # 0 -> 0
        [0.2, 0.6, 0.1, 0.1],  # 0 -> 1
        [0.1, 0.8, 0.05, 0.05],  # 1 -> 1
        [0.1, 0.7, 0.1, 0.1],  # 1 -> 1
        [0.1, 0.1, 0.7, 0.1],  # 2 -> 2
        [0.5, 0.1, 0.3, 0.1],  # 2 -> 0
    ])
    m = classification_metrics(y, probs, names)
    assert m["accuracy"] == pytest.approx(4 / 6)
    # F1: class 0: P 1/2 R 1/2 -> 0.5; class 1: P 2/3 R 1 -> 0.8; class 2: P 1 R 1/2 -> 2/3
    assert m["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert m["confusion"][0] == [1, 1, 0, 0] and m["confusion"][2] == [1, 0, 1, 0]
    assert m["per_class"]["squats"] == {"precision": pytest.approx(2 / 3), "recall": 1.0, "f1": pytest.approx(0.8),
                                        "support": 2}
    assert m["per_class"]["situps"]["support"] == 0
    # class 0: positives 0.7, 0.2 vs negatives 0.1, 0.1, 0.1, 0.5 -> 7 of 8 pairs ranked right
    auc0 = 7 / 8
    auc1 = 1.0  # positives 0.8, 0.7 vs negatives 0.1, 0.6, 0.1, 0.1
    auc2 = 1.0  # positives 0.7, 0.3 vs negatives 0.1, 0.1, 0.05, 0.1
    assert m["macro_roc_auc"] == pytest.approx((auc0 + auc1 + auc2) / 3)
    assert m["windows"] == 6


def test_auc_skips_classes_without_negatives():
    assert np.isnan(macro_roc_auc(np.array([1, 1]), np.array([[0.2, 0.8], [0.4, 0.6]])))
