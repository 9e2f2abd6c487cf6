"""The served model: an MLflow pyfunc from uint8 clips to class probabilities with class names.

Input: uint8 [B, 2, T, R, R] (channel 0 gray, 1 mask; T and R as trained; whole frames as the store holds them:
a model trained with ``windows.crop: person`` cuts each clip itself). Output: a DataFrame with one
probability column per class name and ``class``, the most probable name. ``mlflow models serve`` answers
``POST /invocations`` with ``{"inputs": <nested list of clips>}``.
"""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import numpy as np
import pandas as pd


class ExerciseClassifier(mlflow.pyfunc.PythonModel):
    # Inputs are checked against the logged signature (a uint8 tensor spec), not type hints; this is how
    # MLflow's own ChatModel opts out of hint-based validation and its warning on every model load.
    _skip_type_hint_validation = True

    def load_context(self, context) -> None:
        from mcat.modelfile import load_model_file

        self.loaded = load_model_file(Path(context.artifacts["model_file"]))

    def predict(self, context, model_input, params=None) -> pd.DataFrame:
        import torch

        crop = self.loaded.preprocessing.window_crop()
        clips = np.asarray(model_input, dtype=np.uint8)
        if len(clips):
            clips = np.stack([crop(np.ascontiguousarray(clip)) for clip in clips])
        clips = torch.from_numpy(np.ascontiguousarray(clips))
        with torch.inference_mode():
            probs = torch.softmax(self.loaded.model(clips).float(), dim=1).numpy()
        names = self.loaded.class_names
        frame = pd.DataFrame(probs.astype(np.float64), columns=names)
        frame["class"] = [names[i] for i in probs.argmax(axis=1)]
        return frame


def signature(class_names: list[str], T: int, resolution: int):
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, Schema, TensorSpec

    inputs = Schema([TensorSpec(np.dtype(np.uint8), (-1, 2, T, resolution, resolution))])
    outputs = Schema([ColSpec("double", name) for name in class_names] + [ColSpec("string", "class")])
    return ModelSignature(inputs=inputs, outputs=outputs)
