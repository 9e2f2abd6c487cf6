import numpy as np
import pytest

from mcat.masks.quality import mask_quality


def test_quality_on_hand_made_masks():
    masks = np.zeros((4, 10, 10), np.uint8)
    masks[0, :5, :] = 1  # 50 px
    masks[1, :5, :] = 1  # same: IoU 1
    masks[2, :, :] = 1  # 100 px: IoU with previous 50/100
    q = mask_quality(masks)  # frame 3 is empty: IoU 0 with frame 2
    assert q["frames"] == 4
    assert q["coverage_mean"] == pytest.approx((0.5 + 0.5 + 1 + 0) / 4)
    assert q["coverage_std"] == pytest.approx(np.std([0.5, 0.5, 1, 0]))
    assert q["empty_ratio"] == 0.25
    assert q["flicker"] == pytest.approx(((1 - 1) + (1 - 0.5) + (1 - 0)) / 3)
