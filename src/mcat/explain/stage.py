"""``mcat explain``: where one or more models look (the paper's Fig. 2) on chosen windows of a split or of a video.

Windows: of a split, ``per_class`` windows per true class, evenly spread over that class's windows in the index;
of a video, the ``per_class`` most confident windows of each class the first model predicts. Several models
(``--model A --model B``, e.g. MCAT and the Transformer baseline) are drawn on the same windows, side by side.

Under ``out`` (all or nothing)::

    <window>.png            frames × {gray, mask, each model's CAM per stream} (maps: mcat.explain.maps)
    <window>_attention.png  the cross-attention weights of each model that has them (MCAT), heads averaged
    index.json              per window: recording/video, start frame, true class, each model's prediction and
                            probability, the class mapped, the files

``<window>`` is ``<class>_<recording or video>_<start frame>``. The models must make the same clips (T,
resolution, crop) over the same classes. A model that reads keypoints gets them beside its clips (the pose store
of a split, or the pose backend on a video), its attention picture then also over the pose frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mcat.atomic import atomic_dir
from mcat.config import ExplainParams, MasksParams, PoseParams, PredictParams
from mcat.data.dataset import WindowDataset
from mcat.errors import McatError
from mcat.explain.clips import Explained, check_same_clips, explain_clips, explain_split, model_label, write_index
from mcat.explain.maps import cam_layers
from mcat.inference import resolve_device
from mcat.model_names import reads_pose
from mcat.modelfile import ModelFile, check_windows, pose_input


@dataclass(frozen=True)
class ExplainResult:
    out: Path
    models: list[str]
    windows: list[Explained]


def load_models(model_refs: list[str], device: torch.device) -> dict[str, ModelFile]:
    """The models by label (:func:`model_label`), each one explain can map, all making the same clips."""
    from mcat.registry.load import load_model

    models: dict[str, ModelFile] = {}
    for ref in model_refs:
        model = load_model(ref, device)
        cam_layers(model.network)  # an exported file fails here, before any work
        models[model_label(model, ref, set(models))] = model
    check_same_clips(models)
    return models


def check_per_class(params: ExplainParams) -> None:
    if params.per_class < 1:
        raise McatError("explain.per_class is 0: nothing to explain; set it to 1 or more (0 only turns off the "
                        "pictures of mcat evaluate)")


def pose_of(models: dict[str, ModelFile], pose: Path | None) -> Path | None:
    """The keypoints the models read: ``pose`` where one of them reads keypoints (an error without it), else None."""
    readers = [(label, model) for label, model in models.items() if reads_pose(model.input_mode)]
    return pose_input(readers[0][1].input_mode, pose, readers[0][0]) if readers else None


def explain(params: ExplainParams, model_refs: list[str], windows: Path, store: Path, masks: Path, out: Path, *,
            pose: Path | None = None, device: str = "auto") -> ExplainResult:
    """Explain ``params.per_class`` windows per class of split ``params.split`` with each model of
    ``model_refs`` (files or MLflow URIs; ``pose``: the keypoints, where one reads them) into ``out`` (see the
    module docstring)."""
    check_per_class(params)
    models = load_models(model_refs, resolve_device(device))
    pose = pose_of(models, pose)
    if not (Path(windows) / f"{params.split}.csv").is_file():
        available = ", ".join(sorted(p.stem for p in Path(windows).glob("*.csv"))) or "none"
        raise McatError(f"no windows for split '{params.split}' in {windows} (splits: {available}): set "
                        "explain.split, or run `mcat windows` first")
    dataset = WindowDataset(windows, params.split, store, masks, pose_dir=pose)
    for ref, model in zip(model_refs, models.values()):
        check_windows(model, dataset, Path(ref))
    if not len(dataset):
        raise McatError(f"nothing to explain: split '{params.split}' has no window in {windows}; set explain.split")
    with atomic_dir(out) as tmp:
        explained = explain_split(params, models, dataset, tmp)
    return ExplainResult(Path(out), list(models), explained)


def explain_video(params: ExplainParams, model_refs: list[str], video: Path, out: Path, *, predict: PredictParams,
                  masks: MasksParams, pose: PoseParams | None = None, device: str = "auto") -> ExplainResult:
    """Explain the ``params.per_class`` most confident windows of each class the first model finds in ``video``
    (masks from ``predict.mask_backend`` with the ``masks`` settings, and keypoints from ``predict.pose_backend``
    with the ``pose`` settings where a model reads them, as ``mcat predict`` makes them)."""
    from mcat.masks.backends import make_segmenter
    from mcat.predict.stage import classify, framing_of, pose_estimator, read_video

    check_per_class(params)
    if not Path(video).is_file():
        raise McatError(f"--video {video} does not exist")
    resolved = resolve_device(device)
    models = load_models(model_refs, resolved)
    first = next(iter(models.values()))
    readers = [model for model in models.values() if reads_pose(model.input_mode)]
    estimator = pose_estimator(readers[0], predict, pose) if readers else None
    segmenter = make_segmenter(masks.model_copy(update={"backend": predict.mask_backend}))
    framing = framing_of(first)
    frames, person, joints = read_video(segmenter, estimator, Path(video), framing, masks.batch_size,
                                        predict.pose_every)
    try:
        starts, probs = classify(first, frames, person, predict.batch_size, resolved,
                                 joints if reads_pose(first.input_mode) else None)
    except McatError as exc:  # a video shorter than one window
        raise McatError(f"{video}: {exc}") from None
    best = probs.argmax(axis=1)
    picks = [int(i) for c in np.unique(best)
             for i in np.flatnonzero(best == c)[np.argsort(-probs[best == c, c])][:params.per_class]]
    T, crop, crop_joints = first.preprocessing.T, first.preprocessing.window_crop(), first.preprocessing.joints_crop()
    windows = [slice(starts[i], starts[i] + T) for i in picks]
    clips = np.stack([crop(np.stack([frames[w], person[w]])) for w in windows])
    cut = None if joints is None else np.stack([crop_joints(joints[w], person[w]) for w in windows])
    with atomic_dir(out) as tmp:
        explained = explain_clips(params, models, clips, [None] * len(picks), [Path(video).name] * len(picks),
                                  [int(starts[i]) for i in picks], tmp, cut)
        write_index(tmp, models, explained)
    return ExplainResult(Path(out), list(models), explained)
