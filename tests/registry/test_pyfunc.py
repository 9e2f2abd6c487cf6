"""The served pyfunc makes clips as the model was trained: a person-crop model cuts whole-frame windows itself."""

import dataclasses

import numpy as np
import torch

from mcat.data.dataset import WindowDataset
from mcat.modelfile import load_model_file
from mcat.registry.pyfunc import ExerciseClassifier


def test_the_served_model_cuts_each_clip_as_trained(tiny_windows, tiny_trained):
    loaded = load_model_file(tiny_trained[2] / "model.pt")
    served = ExerciseClassifier()
    served.loaded = dataclasses.replace(loaded, preprocessing=dataclasses.replace(
        loaded.preprocessing, crop="person", crop_margin=0.15))
    dataset = WindowDataset(tiny_windows[0], "test", *tiny_windows[1:])  # whole frames, as the store holds them
    clips = np.stack([dataset[i][0].numpy() for i in range(6)])
    cut = torch.from_numpy(np.stack([served.loaded.preprocessing.window_crop()(c) for c in clips]))
    with torch.inference_mode():
        expected = torch.softmax(loaded.model(cut), dim=1).numpy()
        whole = torch.softmax(loaded.model(torch.from_numpy(clips)), dim=1).numpy()
    frame = served.predict(None, clips)
    np.testing.assert_allclose(frame[loaded.class_names].to_numpy(), expected, atol=1e-5)
    assert not np.allclose(expected, whole, atol=1e-3)  # the crop changed what the model saw
    assert len(served.predict(None, clips[:0])) == 0  # an empty batch is an empty answer
