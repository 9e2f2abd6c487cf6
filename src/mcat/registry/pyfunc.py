"""The served model: an MLflow pyfunc from uint8 clips to class probabilities with class names.

Input: uint8 [B, 2, T, R, R] (channel 0 gray, 1 mask; T and R as trained; whole frames as the store holds them:
a model trained with ``windows.crop: person`` cuts each clip itself). A model that reads keypoints takes two named
tensors: ``clips`` as above and ``pose``, float32 [B, T, K, 3] in the whole frames (moved into the crop here too).
Output: a DataFrame with one probability column per class name and ``class``, the most probable name.
``mlflow models serve`` answers ``POST /invocations`` with ``{"inputs": <nested list of clips>}``, or
``{"inputs": {"clips": ..., "pose": ...}}``.
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

        pre = self.loaded.preprocessing
        crop, crop_joints = pre.window_crop(), pre.joints_crop()
        joints = None
        if isinstance(model_input, dict):
            model_input, joints = model_input["clips"], np.asarray(model_input["pose"], dtype=np.float32)
        clips = np.asarray(model_input, dtype=np.uint8)
        inputs = [np.stack([crop(np.ascontiguousarray(clip)) for clip in clips]) if len(clips) else clips]
        if joints is not None:
            inputs.append(np.stack([crop_joints(j, c[1]) for j, c in zip(joints, clips)]) if len(clips) else joints)
        with torch.inference_mode():
            logits = self.loaded.model(*(torch.from_numpy(np.ascontiguousarray(x)) for x in inputs))
            probs = torch.softmax(logits.float(), dim=1).numpy()
        names = self.loaded.class_names
        frame = pd.DataFrame(probs.astype(np.float64), columns=names)
        frame["class"] = [names[i] for i in probs.argmax(axis=1)]
        return frame


def signature(class_names: list[str], T: int, resolution: int, joints: int = 0):
    """Clips uint8 [-1, 2, T, R, R] in (named ``clips``, beside ``pose`` float32 [-1, T, joints, 3], for a model
    that reads ``joints`` keypoints), class probabilities and the class out."""
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, Schema, TensorSpec

    clips = (np.dtype(np.uint8), (-1, 2, T, resolution, resolution))
    inputs = Schema([TensorSpec(*clips, "clips"), TensorSpec(np.dtype(np.float32), (-1, T, joints, 3), "pose")]
                    if joints else [TensorSpec(*clips)])
    outputs = Schema([ColSpec("double", name) for name in class_names] + [ColSpec("string", "class")])
    return ModelSignature(inputs=inputs, outputs=outputs)
