"""Test-time tempo averaging: the slowed replays of a window, the averaged probabilities, and a model file that
carries the factors into evaluation, explain and an ONNX export."""

import numpy as np
import torch

from mcat.models import build
from mcat.models.tempo import TempoAveraged
from mcat.modelfile import load_model_file, tempo_averaged

from .conftest import SMALL, random_clips, random_pose


def test_a_window_replayed_at_half_speed_repeats_the_frames_around_its_label_frame():
    model = TempoAveraged(torch.nn.Identity(), 16, (1.0, 0.5, 0.25))
    np.testing.assert_array_equal(model.positions[0], np.arange(16))
    np.testing.assert_array_equal(model.positions[1], [4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12])
    np.testing.assert_array_equal(model.positions[2], [6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 9, 9, 9, 9, 10, 10])


def test_the_probabilities_are_the_mean_over_the_replays_of_clips_and_keypoints():
    network = build("mcat", "mask+pose", 5, **SMALL).eval()
    clips, pose = random_clips(3, t=8), random_pose(3, t=8)
    averaged = TempoAveraged(network, 8, (1.0, 0.5)).eval()
    slow = [2, 3, 3, 4, 4, 5, 5, 6]  # around label frame 4, offsets (t - 4) / 2 rounded half up
    with torch.no_grad():
        expected = (torch.softmax(network(clips, pose), 1) + torch.softmax(network(clips[:, :, slow], pose[:, slow]), 1)) / 2
        torch.testing.assert_close(torch.softmax(averaged(clips, pose), 1), expected)
        torch.testing.assert_close(torch.softmax(TempoAveraged(network, 8, (1.0,))(clips, pose), 1),
                                   torch.softmax(network(clips, pose), 1))


def test_a_model_file_with_tempo_averaging_scores_explains_and_exports_with_it(tiny_trained, tiny_windows, tmp_path):
    from mcat.explain.maps import cam_layers
    from mcat.export.stage import export

    from conftest import tiny_params

    payload = torch.load(tiny_trained[2] / "model.pt", weights_only=True)
    for name, factors in (("plain.pt", (1.0,)), ("model.pt", (1.0, 0.5))):
        payload["preprocessing"]["tempo_averaging"] = factors
        torch.save(payload, tmp_path / name)
    plain, averaged = load_model_file(tmp_path / "plain.pt"), load_model_file(tmp_path / "model.pt")
    assert isinstance(averaged.model, TempoAveraged) and averaged.preprocessing.tempo_averaging == (1.0, 0.5)
    assert not isinstance(plain.model, TempoAveraged)
    trained = load_model_file(tiny_trained[2] / "model.pt")  # training records train.tempo_averaging
    assert trained.preprocessing.tempo_averaging == tuple(tiny_trained[0].train.tempo_averaging)
    assert cam_layers(averaged.network)  # explain maps the trained network itself
    alone = tempo_averaged(averaged, (1.0,))  # what the benches compare side by side
    assert alone.network is averaged.network and alone.preprocessing == plain.preprocessing
    assert not isinstance(alone.model, TempoAveraged)
    T = averaged.preprocessing.T
    clips = random_clips(4, t=T, size=averaged.preprocessing.resolution)
    with torch.no_grad():
        slow = averaged.model.positions[1]
        expected = (torch.softmax(plain.model(clips), 1) + torch.softmax(plain.model(clips[:, :, slow]), 1)) / 2
        torch.testing.assert_close(torch.softmax(averaged.model(clips), 1), expected)
    onnx = export(tiny_params().export, str(tmp_path / "model.pt"), tmp_path / "model.onnx", *tiny_windows)
    exported = load_model_file(onnx.path)
    assert exported.preprocessing.tempo_averaging == (1.0, 0.5)  # carried, and not applied twice:
    np.testing.assert_allclose(torch.softmax(exported.model(clips), 1).numpy(), expected.numpy(), atol=1e-5)
