import numpy as np
import pytest

from mcat.synth.body import FRONT, KEY, SIDE, Proportions, capsules, lowest_point
from mcat.synth.exercises import EXERCISES, STAND
from mcat.synth.render import Scene


def quiet_scene(seed: int = 0) -> Scene:
    """A scene with no noise, distractors or lighting drift, so the person is the only change."""
    return Scene.sample(np.random.default_rng(seed), 96, 128, n_distractors=0, drift=0.0, noise_std=0.0)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_mask_is_exactly_the_pixels_the_person_changes(name):
    scene = quiet_scene()
    ex = EXERCISES[name]
    rng = np.random.default_rng(1)
    empty = scene.frame(np.zeros((scene.height, scene.width), np.uint8), 0.0, rng)
    for p in (ex.rest, ex.peak):
        ids = scene.person(p, ex.view, 1.0)
        frame = scene.frame(ids, 0.0, rng)
        changed = np.any(frame != empty, axis=-1)
        mask = ids > 0
        assert mask.sum() > 0.01 * mask.size
        assert not (changed & ~mask).any(), "pixels outside the mask differ from the background"
        # Inside the mask the person's colour can coincide with the background only by chance.
        assert (changed & mask).sum() >= 0.98 * mask.sum()


def test_person_stands_on_the_floor_and_fits_the_frame():
    scene = quiet_scene(3)
    for name, ex in EXERCISES.items():
        for p in (ex.rest, ex.peak):
            rows = np.flatnonzero((scene.person(p, ex.view, -1.0) > 0).any(axis=1))
            if p[KEY["lift"]] == 0:  # not in the air
                assert abs(rows.max() - scene.floor_y) <= 2, name
            assert rows.min() > 0, f"{name} leaves the top of the frame"


def test_facing_mirrors_the_side_view():
    body = Proportions()
    p = EXERCISES["squats"].peak
    right = capsules(p, body, SIDE, 1.0)
    left = capsules(p, body, SIDE, -1.0)
    for a, b in zip(right, left):
        np.testing.assert_allclose(a.b * [-1, 1], b.b, atol=1e-9)


def test_standing_height_is_about_one_body_height():
    parts = capsules(STAND, Proportions(), FRONT, 1.0)
    top = min(min(c.a[1], c.b[1]) - c.width / 2 for c in parts)
    assert 0.9 < lowest_point(parts) - top < 1.15
