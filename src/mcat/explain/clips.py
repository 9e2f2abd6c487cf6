"""Explaining windows: each model's Grad-CAM maps and cross-attention on a batch of clips, drawn into one grid PNG
(and one attention PNG) per window, with ``index.json``; which windows of a split are explained. ``mcat explain``
(:mod:`mcat.explain.stage`) and ``mcat evaluate`` call this."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from mcat.config import ExplainParams
from mcat.data.dataset import WindowDataset
from mcat.errors import McatError
from mcat.explain.figures import attention_png, window_png
from mcat.explain.maps import cam_layers, cross_attention, grad_cams
from mcat.inference import device_of
from mcat.model_names import reads_pose
from mcat.modelfile import ModelFile


@dataclass(frozen=True)
class Explained:
    """One window explained."""

    source: str  # the recording id, or the video's file name
    start: int  # the window's first frame (on the model's clock)
    true: str | None  # the true class (None for a video)
    target: dict[str, str]  # per model: the class whose evidence is mapped
    predicted: dict[str, str]  # per model: the predicted class
    probability: dict[str, float]  # per model: its probability
    grid: str  # file names under out
    attention: str | None


def model_label(model: ModelFile, ref: str, taken: set[str]) -> str:
    """A short name for a model in the pictures: its zoo name, fusion and input mode where not the paper's;
    the file or URI it came from when two models would share one."""
    config = getattr(model.network, "config", {})
    label = config.get("name", type(model.network).__name__)
    if config.get("fusion", "cross_attention") != "cross_attention":
        label += f" {config['fusion']}"
    if config.get("input_mode", "both") != "both":
        label += f" {config['input_mode']}"
    return f"{label} ({ref})" if label in taken else label


def check_same_clips(models: dict[str, ModelFile]) -> None:
    """The models make their clips the same way over the same classes, so one window serves all."""
    first_label, first = next(iter(models.items()))
    for label, model in models.items():
        for what, a, b in (("T", first.preprocessing.T, model.preprocessing.T),
                           ("resolution", first.preprocessing.resolution, model.preprocessing.resolution),
                           ("crop", first.preprocessing.crop, model.preprocessing.crop),
                           ("classes", first.class_names, model.class_names)):
            if a != b:
                raise McatError(f"{first_label} and {label} were trained on different clips ({what}: {a} vs {b}): "
                                "explain models side by side that share T, resolution, crop and classes")


def explain_clips(params: ExplainParams, models: dict[str, ModelFile], clips: np.ndarray, truth: list[int | None],
                  sources: list[str], starts: list[int], out: Path, joints: np.ndarray | None = None) -> list[Explained]:
    """Draw the windows ``clips`` uint8 [N, 2, T, R, R] (true class ids ``truth``, None where unknown; from
    ``sources`` at ``starts``; ``joints`` float32 [N, T, K, 3] their keypoints, for the models that read them)
    into the folder ``out``, which exists."""
    names = next(iter(models.values())).class_names
    maps: dict[str, np.ndarray] = {}  # "<model>: <stream>" → CAMs [N, T, R, R]
    alphas: dict[str, np.ndarray] = {}
    predicted, targets = {}, {}
    for label, model in models.items():
        batch = torch.from_numpy(clips).to(device_of(model.model))
        pose = torch.from_numpy(joints).to(batch.device) if reads_pose(model.input_mode) else None
        with torch.no_grad():
            logits = model.model(batch) if pose is None else model.model(batch, pose)
            probs = torch.softmax(logits.float(), dim=1).cpu().numpy()
        predicted[label] = probs
        targets[label] = [int(p.argmax()) if params.target == "predicted" or t is None else t
                          for p, t in zip(probs, truth)]
        for stream, cams in grad_cams(model.network, batch, targets[label], params.method, pose).items():
            maps[f"{label}: {stream}"] = cams
        weights = cross_attention(model.network, batch, pose)
        if weights is not None:
            alphas[label] = weights
    explained = []
    for i, (clip, source, start) in enumerate(zip(clips, sources, starts)):
        true = None if truth[i] is None else names[truth[i]]
        stem = f"{true or names[targets[next(iter(models))][i]]}_{Path(source).stem}_{start}"
        said = "; ".join(f"{label}: {names[int(p[i].argmax())]} {p[i].max():.2f}" for label, p in predicted.items())
        where = f"{source}, frames {start}-{start + clip.shape[1] - 1}" + (f", true {true}" if true else "")
        title = f"{where} | predicted {said} | {params.method} of the {params.target} class"
        window_png(out / f"{stem}.png", clip[0], clip[1], {k: v[i] for k, v in maps.items()}, title)
        attention = None
        if alphas:
            attention = f"{stem}_attention.png"
            attention_png(out / attention, {k: v[i] for k, v in alphas.items()},
                          f"cross-attention, heads averaged\n{where}")
        explained.append(Explained(
            source, int(start), true, {k: names[v[i]] for k, v in targets.items()},
            {k: names[int(p[i].argmax())] for k, p in predicted.items()},
            {k: round(float(p[i].max()), 4) for k, p in predicted.items()}, f"{stem}.png", attention))
    return explained


def split_windows(dataset: WindowDataset, per_class: int) -> list[int]:
    """Indices of ``per_class`` windows of each class in ``dataset``, evenly spread over its windows."""
    picks = []
    for label in np.unique(dataset.labels):
        where = np.flatnonzero(dataset.labels == label)
        picks += where[np.unique(np.linspace(0, len(where) - 1, min(per_class, len(where))).round().astype(int))].tolist()
    return picks


def explain_split(params: ExplainParams, models: dict[str, ModelFile], dataset: WindowDataset, out: Path) -> list[Explained]:
    """:func:`explain_clips` of ``params.per_class`` windows per class of ``dataset`` into ``out`` (which exists),
    with index.json."""
    picks = split_windows(dataset, params.per_class)
    items = [dataset[i] for i in picks]
    clips = np.stack([item[0].numpy() for item in items])
    joints = np.stack([item[1].numpy() for item in items]) if dataset.pose_store is not None else None
    explained = explain_clips(params, models, clips, [int(dataset.labels[i]) for i in picks],
                              [dataset.recording_ids[dataset.recording[i]] for i in picks],
                              [int(dataset.starts[i]) for i in picks], out, joints)
    write_index(out, models, explained)
    return explained


def write_index(out: Path, models: dict[str, ModelFile], explained: list[Explained]) -> None:
    index = {"models": {label: sorted(cam_layers(m.network)) for label, m in models.items()},
             "windows": [asdict(e) for e in explained]}
    (out / "index.json").write_text(json.dumps(index, indent=2) + "\n")
