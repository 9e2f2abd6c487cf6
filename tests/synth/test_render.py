import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score

from mcat.pose.joints import JOINTS as KEYPOINTS
from mcat.synth.body import JOINTS, KEY, Proportions, joints, on_the_ground, pose, radii
from mcat.synth.camera import Shot, View, frame_shape, plan_shots
from mcat.synth.exercises import EXERCISES, STAND
from mcat.synth.keypoints import OFFSETS, keypoints
from mcat.synth.motion import workout
from mcat.synth.render import Film
from mcat.synth.stage import plan_recording

from mcat.config import load_params

from conftest import ROOT


def default_params(*overrides: str):
    """params.yaml's synth params: the full randomisation (the tiny preset films with a still, frontal camera)."""
    return load_params(ROOT / "params.yaml", None, list(overrides)).synth

QUIET = ("synth.noise_std=0", "synth.distractors=0", "synth.lighting_drift=0", "synth.overlays=0",
         "synth.occluders=0", "synth.motion_blur=0")


def quiet_film(name: str, seed: int = 0):
    """One set of ``name`` filmed with no noise, distractors, overlays, occluders, blur or drift: the person
    is the only change between frames."""
    params = default_params(*QUIET, f"synth.seed={seed}", "synth.width=64", "synth.height=48")
    rng = np.random.default_rng(seed)
    motion = workout([(name, 1)], params.domains["slow"], params, rng)
    return motion, Film.shoot(motion, params, rng), rng


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_mask_is_exactly_the_pixels_the_person_changes(name):
    motion, film, rng = quiet_film(name)
    empty = np.zeros((film.height, film.width), np.uint8)
    span = motion.sets[0]
    for i in range(span.start, span.stop, 7):
        background, _ = film.frame(i, empty, rng)
        ids = film.person(i)
        frame, mask = film.frame(i, ids, rng)
        changed = np.any(frame != background, axis=-1)
        assert mask.sum() > 0.005 * mask.size, (name, i)
        assert not (changed & (mask == 0)).any(), "pixels outside the mask differ from the background"
        # Inside the mask the person's colour can coincide with the background only by chance.
        assert (changed & (mask > 0)).sum() >= 0.97 * mask.sum()


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_body_rests_on_the_ground_unless_it_jumps(name):
    body = Proportions()
    for variant in EXERCISES[name].variants:
        poses = np.stack([variant.rest, variant.peak])
        grounded = on_the_ground(joints(poses, body), body, poses[:, KEY["lift"]].astype(float))
        bottom = (grounded[..., 1] - radii(body)).min(axis=1)
        np.testing.assert_allclose(bottom, poses[:, KEY["lift"]], atol=1e-9)


def test_standing_height_is_about_one_body_height():
    body = Proportions()
    grounded = on_the_ground(joints(STAND[None], body), body, np.zeros(1))
    top = grounded[0, JOINTS.index("head"), 1] + body.head_radius
    assert 0.9 < top < 1.1


@pytest.mark.parametrize("torso", [0.0, 90.0, -90.0])  # standing, face down (push-up), on the back (sit-up)
def test_keypoints_sit_where_a_pose_model_puts_them_along_the_body(torso):
    body = Proportions()
    skeleton = joints(pose(torso=torso)[None], body)
    marks = keypoints(skeleton)
    axis = skeleton[0, JOINTS.index("neck")] - skeleton[0, JOINTS.index("pelvis")]  # the torso's line
    axis /= np.linalg.norm(axis)
    for k, name in enumerate(KEYPOINTS):
        moved = marks[0, k] - skeleton[0, JOINTS.index(name)]
        np.testing.assert_allclose(moved, OFFSETS[name.split("_")[0]] * axis, atol=1e-12)
    if torso == 0:  # standing: the shoulders' keypoints are higher than the joints, the head's lower
        assert marks[0, KEYPOINTS.index("shoulder_l"), 1] > skeleton[0, JOINTS.index("shoulder_l"), 1]
        assert marks[0, KEYPOINTS.index("head"), 1] < skeleton[0, JOINTS.index("head"), 1]


def test_the_film_records_the_keypoints_as_projected():
    motion, film, _ = quiet_film("squats")
    span = motion.sets[0]
    assert film.joints.shape == (len(motion.labels), len(KEYPOINTS), 2)
    visible = film.pose(np.ones((len(motion.labels), film.height, film.width), np.uint8))
    assert visible[span.start:span.stop, :, 2].mean() > 0.9  # a quiet, whole-body film sees nearly every keypoint


def test_a_camera_at_minus_azimuth_sees_the_mirror_image_of_a_symmetric_pose():
    body = Proportions()
    world = on_the_ground(joints(STAND[None], body), body, np.zeros(1))  # symmetric about x = 0
    params = default_params().camera
    shot = Shot.sample(params, 0, 1, np.random.default_rng(0))
    flat = dict(offset=(0.0, 0.0), roll=0.0, zoom=(0.0, 10.0, 0.0), pan=(0.0, 10.0, 0.0))
    left = View.aim(shot.__class__(**{**shot.__dict__, **flat, "azimuth": 40.0}), world, 0.0, 64, 48, 30.0)
    right = View.aim(shot.__class__(**{**shot.__dict__, **flat, "azimuth": -40.0}), world, 0.0, 64, 48, 30.0)
    a, depth_a, _ = left.project(world, np.zeros(1))
    b, depth_b, _ = right.project(world, np.zeros(1))
    mirror = [JOINTS.index(n.replace("_l", "_R").replace("_r", "_l").replace("_R", "_r")) for n in JOINTS]
    np.testing.assert_allclose(a[0, :, 0] - 32, -(b[0, mirror, 0] - 32), atol=1e-6)
    np.testing.assert_allclose(a[0, :, 1], b[0, mirror, 1], atol=1e-6)
    np.testing.assert_allclose(depth_a[0], depth_b[0, mirror], atol=1e-9)


def test_camera_draws_are_seeded_and_cover_their_ranges():
    camera = default_params().camera

    def draws(seed):
        rng = np.random.default_rng(seed)
        return [(frame_shape(camera, 64, 48, rng), plan_shots(camera, [0, 100, 200, 300], 400, rng))
                for _ in range(300)]

    first, again = draws(1), draws(1)
    assert first == again
    shapes = {s for s, _ in first}
    assert shapes == {("landscape", 64, 48), ("portrait", 48, 64), ("square", 48, 48)}
    shots = [shot for _, plan in first for shot in plan]
    azimuth = np.array([s.azimuth for s in shots])
    for low in range(-180, 180, 45):  # front, 45°, side, 135° and back views on both sides
        assert ((azimuth >= low) & (azimuth < low + 45)).any(), low
    assert {s.framing for s in shots} == {"full", "upper"}
    for name, (low, high) in (("elevation", camera.elevation), ("roll", camera.roll),
                              ("person_height", camera.person_height)):
        values = np.array([getattr(s, name) for s in shots])
        assert values.min() >= low and values.max() <= high
        assert values.max() - values.min() > 0.8 * (high - low), name
    cuts = np.mean([len(plan) - 1 for _, plan in first]) / 3
    assert cuts == pytest.approx(camera.cut, abs=0.1)


def test_no_class_can_be_told_from_how_a_set_is_filmed():
    """A classifier on every rendering choice of a set (view, framing, frame shape, place, overlays) is at
    chance; the same classifier on the exercise's variant, which does carry the class, is not."""
    params = default_params("synth.sets_per_recording=5", "synth.reps_per_set=[1, 1]", "synth.rest_seconds=[0, 0]",
                            "synth.noise_std=0", "synth.width=64", "synth.height=48")
    rows = []
    for index in range(240):
        sets = [params.exercises[i] for i in np.random.default_rng(index).permutation(10)[:5]]
        motion, film, _ = plan_recording(params, 0, index, sets, "slow")
        rows += film.set_rows(motion)
    y = np.array([params.exercises.index(r["exercise"]) for r in rows])
    places = sorted({r["place"] for r in rows})
    numeric = ("azimuth", "elevation", "roll", "distance", "person_height", "width", "height", "occluder",
               "overlays", "softness", "blur")
    x = np.array([[r[k] for k in numeric] + [r["framing"] == "upper", places.index(r["place"])] for r in rows], float)
    forest = RandomForestClassifier(n_estimators=100, min_samples_leaf=5, random_state=0)
    accuracy = cross_val_score(forest, x, y, cv=5).mean()
    assert accuracy < 0.1 + 0.05, f"the view and look give the class away: {accuracy:.3f} with 10 classes"
    variants = sorted({r["variant"] for r in rows})
    told = cross_val_score(forest, np.array([[variants.index(r["variant"])] for r in rows], float), y, cv=5).mean()
    assert told > 0.5
