"""Following the person: the square a segmenter reads next, and the way its map goes back into the frame, on known
patterns."""

import cv2
import numpy as np
import pytest

from mcat.data.framing import Framing
from mcat.data.video import fit_probabilities
from mcat.masks.backends.follow import MIN_SIDE, follow_region, frame_box
from mcat.masks.backends.selfie import _crop, _frame_probability


@pytest.mark.parametrize("box, region", [
    ((40, 30, 60, 70), (20.0, 20.0, 60.0)),      # the longer side 40 plus a quarter of it on each side, centred
    ((0, 0, 20, 40), (0.0, 0.0, 60.0)),          # at the top-left corner: moved inside, never padded
    ((180, 100, 192, 140), (132.0, 84.0, 60.0)),  # at the bottom-right corner
    ((90, 70, 92, 72), (73.0, 53.0, MIN_SIDE * 144)),  # a speck: never blown up past 1 / MIN_SIDE
    ((50, 10, 70, 110), None),                  # a person who fills the frame's height: the whole frame
    (None, None),                               # nobody in the frame before: the whole frame
])
def test_the_square_around_the_person_of_the_frame_before(box, region):
    got = follow_region(None if box is None else np.array(box, np.float32), 192, 144, 0.25)
    assert got == (None if region is None else pytest.approx(region))


def test_the_person_box_goes_back_into_the_frame():
    mask = np.zeros((256, 256), bool)
    mask[64:128, 32:96] = True
    np.testing.assert_allclose(frame_box(mask, (10.0, 20.0, 128.0), 192, 144), [26, 52, 58, 84])
    whole = np.zeros((144, 256), bool)  # the landscape model's map of a whole 192x144 frame
    whole[36:72, 64:128] = True
    np.testing.assert_allclose(frame_box(whole, None, 192, 144), [48, 36, 96, 72])
    assert frame_box(np.zeros((8, 8), bool), None, 192, 144) is None


def test_a_crops_map_is_fitted_where_the_crop_lies_and_zero_around_it():
    """A 32x32 map of the square at (16, 8) of a 64x48 frame, one map pixel per frame pixel: fitted into 64x64
    (pad: 8-pixel bars above and below), each map pixel lands at its frame pixel, and the frame outside the square
    reads 0."""
    probability = np.zeros((32, 32), np.float32)
    probability[4:12, 6:20] = 1
    got = fit_probabilities(probability, (64, 48), Framing(64, fit="pad"), (16.0, 8.0, 32.0))
    expected = np.zeros((64, 64), np.float32)
    expected[8 + 8 + 4:8 + 8 + 12, 16 + 6:16 + 20] = 1
    np.testing.assert_array_equal(got, expected)


def test_a_region_over_the_whole_frame_reads_as_the_whole_frame():
    probability = np.zeros((256, 256), np.float32)
    probability[40:200, 90:150] = np.linspace(0, 1, 60, dtype=np.float32)  # zero along the map's border
    framing = Framing(48, fit="pad")
    np.testing.assert_array_equal(fit_probabilities(probability, (144, 144), framing, (0.0, 0.0, 144.0)),
                                  fit_probabilities(probability, (144, 144), framing))


def test_a_crop_read_back_into_the_frame_lands_where_it_was_taken():
    """A white box cut out at twice its size (the model's 64x64 from a 32-pixel square) and its map drawn back at
    the frame's size: the same box, and 0 outside the square."""
    frame = np.zeros((48, 64, 3), np.uint8)
    frame[10:26, 20:30] = 255
    region = (16.0, 8.0, 32.0)
    crop = _crop(frame, region, (64, 64))
    assert crop.shape == (64, 64, 3)
    back = _frame_probability(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255, region, (64, 48))
    assert back.shape == (48, 64)
    np.testing.assert_array_equal(back > 0.5, frame[..., 0] > 0)
