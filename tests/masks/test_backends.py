"""The segmenters on real frames: rendered people, hand-made motion, and YOLO built from its YAML."""

import os

import cv2
import numpy as np
import pytest

from mcat.config import BackgroundParams, SelfieParams, YoloParams
from mcat.data.framing import Framing
from mcat.data.video import resize_masks
from mcat.errors import McatError
from mcat.masks.backends import backend_settings
from mcat.masks.backends.background import BackgroundSegmenter
from mcat.masks.backends.selfie import SelfieSegmenter
from mcat.masks.backends.yolo import YoloSegmenter, pick_instance
from mcat.masks.quality import mean_iou

from mcat.synth.stage import synth

from conftest import LANDSCAPE, MODELS, tiny_params

SELFIE = MODELS / "mediapipe_selfie_segmentation_256x256.tflite"
# CI always has ../shared beside the clone: there a missing model is a failure, not a skip.
needs_models = pytest.mark.skipif(not SELFIE.is_file() and not os.environ.get("CI"),
                                  reason="../shared/models is not beside the repo")


def rendered(tiny_dataset, rid="train_000", n=40):
    cap = cv2.VideoCapture(str(tiny_dataset / f"videos/{rid}.mp4"))
    frames = np.stack([cap.read()[1] for _ in range(n)])
    return frames, np.load(tiny_dataset / f"masks/{rid}.npz")["masks"][:n]


@needs_models
@pytest.mark.parametrize("seed, runtime", [(0, "litert"), (1, "opencv")])
def test_selfie_sees_the_rendered_person_as_a_person(tmp_path, seed, runtime):
    """At the demo's frame size (the tiny preset's 64x48 is too small for any segmenter), every sampled frame
    has a person in it and the masks match the renderer's."""
    params = tiny_params("synth.width=192", "synth.height=144", "synth.splits.val.recordings=0",
                         "synth.splits.test.recordings=0", "synth.splits.train.recordings=1", f"synth.seed={seed}")
    data = synth(params.synth, tmp_path / "data").out
    frames, truth = rendered(data, n=120)
    frames, truth = frames[::3], truth[::3]
    masks = SelfieSegmenter(SelfieParams(model=str(SELFIE), threshold=0.5, runtime=runtime)).segment(frames)
    assert masks.shape == truth.shape and masks.dtype == np.uint8 and set(np.unique(masks)) <= {0, 1}
    assert masks.reshape(len(masks), -1).any(axis=1).all()
    assert mean_iou(masks, truth) > 0.6


@needs_models
@pytest.mark.parametrize("runtime", ["litert", "opencv"])
def test_selfie_segments_wide_frames_with_the_landscape_model(tmp_path, runtime):
    """Frames wider than tall go to the landscape model (144×256), portrait ones to the general model (256×256);
    on landscape renders the landscape model's masks match the renderer's as well as the general model's."""
    params = tiny_params("synth.width=192", "synth.height=144", "synth.splits.val.recordings=0",
                         "synth.splits.test.recordings=0", "synth.splits.train.recordings=1")
    frames, truth = rendered(synth(params.synth, tmp_path / "data").out, n=120)
    frames, truth = frames[::3], truth[::3]
    general = SelfieSegmenter(SelfieParams(model=str(SELFIE), threshold=0.5, runtime=runtime))
    both = SelfieSegmenter(SelfieParams(model=str(SELFIE), landscape_model=str(LANDSCAPE), threshold=0.5,
                                        runtime=runtime))
    assert both.run(frames).shape == (len(frames), 144, 256) and general.run(frames).shape == (len(frames), 256, 256)
    portrait = np.pad(frames, ((0, 0), (120, 120), (0, 0), (0, 0)))  # the same person upright in a 192x384 frame
    np.testing.assert_array_equal(both.run(portrait), general.run(portrait))
    wide, square = mean_iou(both.segment(frames), truth), mean_iou(general.segment(frames), truth)
    assert wide > 0.6 and wide > square - 0.03, (wide, square)
    with pytest.raises(McatError, match="set masks.selfie.landscape_model"):
        SelfieSegmenter(SelfieParams(model=str(SELFIE), landscape_model=str(tmp_path / "none.tflite"), threshold=0.5,
                                     runtime=runtime))


@needs_models
def test_selfie_following_the_person_sees_a_person_filmed_small(tmp_path):
    """A person a quarter of the frame's height: read whole, the 144x256 landscape model finds a fifth of them;
    following them (a square crop around the frame before's person, on the 256x256 model) finds them as well as a
    large one. A new recording (reset) starts from the whole frame again: the same masks twice."""
    params = tiny_params("synth.width=192", "synth.height=144", "synth.splits.val.recordings=0",
                         "synth.splits.test.recordings=0", "synth.splits.train.recordings=1",
                         "synth.camera.person_height=[0.25,0.3]")
    frames, truth = rendered(synth(params.synth, tmp_path / "data").out, n=90)
    whole, following = (SelfieSegmenter(SelfieParams(model=str(SELFIE), landscape_model=str(LANDSCAPE), threshold=0.5,
                                                     runtime="litert", follow=follow)) for follow in (False, True))
    def masks(segmenter):
        segmenter.reset()
        return np.concatenate([segmenter.segment(frames[i:i + 16]) for i in range(0, len(frames), 16)])
    first = masks(following)
    assert mean_iou(first, truth) > 0.75 and mean_iou(first, truth) > mean_iou(masks(whole), truth) + 0.2
    np.testing.assert_array_equal(masks(following), first)
    framing = Framing(48, fit="pad")
    following.reset()
    assert (following.segment(frames[:16], framing) == resize_masks(first[:16], framing)).mean() > 0.999


def test_the_benches_backend_choices_name_the_selfie_variants():
    masks = tiny_params().masks
    chosen = backend_settings(masks, "selfie:opencv:whole:general")
    assert (chosen.backend, chosen.selfie.runtime, chosen.selfie.follow, chosen.selfie.landscape_model) == \
        ("selfie", "opencv", False, "")
    assert backend_settings(masks, "background").backend == "background"
    for bad in ("selfie:litert:sideways", "selfie:tpu", "background:litert"):
        with pytest.raises(McatError, match=f"unknown backend choice '{bad}'"):
            backend_settings(masks, bad)


@pytest.mark.parametrize("runtime", ["litert", "opencv"])
def test_selfie_without_its_model_names_the_param(tmp_path, runtime):
    with pytest.raises(McatError, match="set masks.selfie.model"):
        SelfieSegmenter(SelfieParams(model=str(tmp_path / "none.tflite"), threshold=0.5, runtime=runtime))
    (tmp_path / "bad.tflite").write_bytes(b"not a model")
    with pytest.raises(McatError, match="cannot load"):
        SelfieSegmenter(SelfieParams(model=str(tmp_path / "bad.tflite"), threshold=0.5, runtime=runtime))


@needs_models
def test_both_selfie_runtimes_give_the_same_masks(tmp_path):
    params = tiny_params("synth.width=192", "synth.height=144", "synth.splits.val.recordings=0",
                         "synth.splits.test.recordings=0", "synth.splits.train.recordings=1")
    frames, _ = rendered(synth(params.synth, tmp_path / "data").out, n=24)
    litert, opencv = (SelfieSegmenter(SelfieParams(model=str(SELFIE), threshold=0.5, runtime=runtime)) for runtime
                      in ("litert", "opencv"))
    np.testing.assert_allclose(litert.run(frames), opencv.run(frames), atol=1e-3)
    assert (litert.segment(frames) == opencv.segment(frames)).mean() > 0.999


@needs_models
def test_selfie_fits_its_masks_at_the_models_resolution_as_the_full_size_masks_fit(tmp_path):
    """Asked for fitted masks, selfie thresholds its probabilities in the fitted frame directly: the same masks
    as the full-size ones fitted afterwards (float rounding aside), a phone-size portrait frame included."""
    params = tiny_params("synth.width=192", "synth.height=144", "synth.splits.val.recordings=0",
                         "synth.splits.test.recordings=0", "synth.splits.train.recordings=1")
    frames, truth = rendered(synth(params.synth, tmp_path / "data").out, n=24)
    selfie = SelfieSegmenter(SelfieParams(model=str(SELFIE), threshold=0.5, runtime="litert"))
    for batch in (frames, np.stack([cv2.resize(f, (1080, 1920)) for f in frames[:4]])):  # landscape, portrait
        framing = Framing(48, fit="pad")
        direct, after = selfie.segment(batch, framing), resize_masks(selfie.segment(batch), framing)
        assert direct.shape == (len(batch), 48, 48) and direct.dtype == np.uint8
        assert (direct == after).mean() > 0.9999
    assert mean_iou(selfie.segment(frames, framing), resize_masks(truth, framing)) > 0.6


BACKGROUND = BackgroundParams(method="knn", history=300, var_threshold=16, learning_rate=-1, open_px=3, close_px=5,
                              min_area=0.002)


def moving_square(n=60, still_from=None):
    """Textured static background and a striped square swinging left and right (standing still from
    ``still_from``): a person-sized thing in motion, as a fixed camera sees an exercise."""
    rng = np.random.default_rng(0)
    background = cv2.GaussianBlur(rng.integers(60, 120, (96, 128, 3), dtype=np.uint8), (5, 5), 0)
    stripes = np.where((np.arange(20) // 3) % 2, 240, 170).astype(np.uint8)[None, :, None]  # brighter: no "shadow"
    frames, truth = [], []
    for i in range(n):
        x = int(54 + 44 * np.sin(2 * np.pi * min(i, still_from if still_from is not None else i) / 30))
        frame = background.copy()
        frame[30:60, x:x + 20] = stripes
        mask = np.zeros((96, 128), np.uint8)
        mask[30:60, x:x + 20] = 1
        frames.append(frame)
        truth.append(mask)
    return np.stack(frames), np.stack(truth)


@pytest.mark.parametrize("method, floor", [("knn", 0.5), ("mog2", 0.2)])
def test_background_subtraction_follows_motion(method, floor):
    """KNN keeps the swinging square; MOG2 learns a periodic motion as one more background mode, which is
    why the default is knn (exercise is periodic)."""
    frames, truth = moving_square(n=120)
    segmenter = BackgroundSegmenter(BACKGROUND.model_copy(update={"method": method}))
    masks = np.concatenate([segmenter.segment(frames[i:i + 16]) for i in range(0, len(frames), 16)])
    assert mean_iou(masks[10:], truth[10:]) > floor


def test_background_loses_a_person_who_holds_still():
    frames, _ = moving_square(n=200, still_from=20)
    masks = BackgroundSegmenter(BACKGROUND).segment(frames)
    assert masks[-20:].sum() == 0  # absorbed into the background: the quality gate must catch this


def test_background_fitted_masks_are_its_full_size_masks_fitted():
    frames, _ = moving_square(n=40)
    np.testing.assert_array_equal(BackgroundSegmenter(BACKGROUND).segment(frames, Framing(32)),
                                  resize_masks(BackgroundSegmenter(BACKGROUND).segment(frames), Framing(32)))


def yolo(**overrides):
    """An untrained YOLO11n-seg built from ultralytics' YAML: the real code path, no download."""
    params = YoloParams(weights="yolo11n-seg.yaml", confidence=0.0, imgsz=160, instance="largest", max_persons=300,
                        device="cpu", half=False).model_copy(update=overrides)
    return YoloSegmenter(params, batch_size=4)


def test_yolo_end_to_end_from_its_yaml_batched_like_one_by_one(ultralytics_home, tiny_dataset):
    import torch

    frames, _ = rendered(tiny_dataset, n=6)
    torch.manual_seed(0)
    segmenter = yolo()
    threads = torch.get_num_threads()
    batched = segmenter.segment(frames)
    assert torch.get_num_threads() == threads  # ultralytics sets its own count; segment() puts it back
    assert batched.shape == frames.shape[:3] and set(np.unique(batched)) <= {0, 1}
    assert batched.any(), "an untrained model at confidence 0 still proposes persons"
    segmenter.reset()
    one_by_one = np.concatenate([segmenter.segment(frames[i:i + 1]) for i in range(len(frames))])
    np.testing.assert_array_equal(batched, one_by_one)
    from ultralytics.utils import SETTINGS_FILE  # fixed at ultralytics' first import in this process

    assert SETTINGS_FILE.parts[-4:-1] == ("cache", "ultralytics", "Ultralytics"), "settings belong in the project cache"


def test_yolo_missing_weights_name_the_param(ultralytics_home, tmp_path):
    with pytest.raises(McatError, match="set masks.yolo.weights"):
        yolo(weights=str(tmp_path / "missing-seg.pt"))
    with pytest.raises(McatError, match="could not be downloaded"):
        yolo(weights="yolo11n-seg.pt")
    (tmp_path / "damaged-seg.pt").write_bytes(b"\x80not a checkpoint")
    with pytest.raises(McatError, match="damaged-seg.pt' cannot be loaded: damaged, truncated or not YOLO weights"):
        yolo(weights=str(tmp_path / "damaged-seg.pt"))


def test_instance_rules():
    a = np.zeros((3, 8, 8), bool)
    a[0, :2, :2] = True  # small, top-left
    a[1, 4:, 4:] = True  # large, bottom-right
    a[2, 0, 7] = True  # tiny
    previous = np.zeros((8, 8), bool)
    previous[0, 0] = True
    assert np.array_equal(pick_instance(a, None, "largest"), a[1])
    assert np.array_equal(pick_instance(a, previous, "track"), a[0])  # continues the previous person
    assert np.array_equal(pick_instance(a, np.zeros((8, 8), bool), "track"), a[1])
    assert np.array_equal(pick_instance(a, None, "union"), a.any(axis=0))
    assert not pick_instance(np.zeros((0, 8, 8), bool), None, "largest").any()
