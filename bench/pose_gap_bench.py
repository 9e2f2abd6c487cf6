"""Where the keypoint train/serve gap comes from: models trained on one pose source, tested on another, one error at a
time.

    python bench/pose_gap_bench.py LABEL=MODEL[,MODEL...] [LABEL=MODEL[,MODEL...]] --estimated DIR
                                   [--provided data/pose] [--windows data/windows] [--store data/ingested]
                                   [--masks data/masks] [--work DIR] [--device cpu|cuda|auto]
                                   [--write-convention DIR] [--scales 0.25,0.5,0.75]

Each ``LABEL=`` group is one training configuration, one model file per seed (e.g. ``none=a.pt,b.pt,c.pt
noise=d.pt,e.pt,f.pt``). ``--provided`` holds the keypoints the models were trained on (the renderer's exact
joints, ``pose.backend: provided``), ``--estimated`` those a pose model gives the same recordings (``mcat pose -S
pose.backend=blazepose --out DIR``), as ``mcat predict`` would. Every model is scored (``mcat evaluate``, the
``test`` split) on four keypoint sets built from the two:

- provided: what the models were trained on;
- missed people only: provided, but nobody in the frames where the estimator found nobody;
- misplaced joints only: estimated, but provided in the frames where the estimator found nobody;
- estimated: what prediction gives.

With ``--scales``, one more set per scale s between the first two and the third: *joints off by s×*, the misplaced
joints only, each moved from its provided place by s times the estimator's displacement (s = 1 is *misplaced joints
only*; each joint keeps the estimator's visibility). They answer how good a pose model must be for a model, or a
reading of the keypoints (``pose_frame``), to pay: the estimator's errors on renders may not be those on real people.

First prints, per split, how the estimator's keypoints differ from the provided ones (frames with nobody found;
quantiles of a joint's displacement where both see it, in frame units), and the same for the provided keypoints
with ``train.augment.pose_noise``'s errors (:func:`mcat.train.augment.pose_errors`, every clip of T frames) — the
calibration of that augmentation — and the estimator's keypoint convention: per joint, the median distance from
the provided joint along the body's axis (hips to shoulders, toward the head; in units of the body's size), which a
renderer's skeleton and a pose model's annotators may place differently (shoulder joint or shoulder top).
``--write-convention DIR`` writes the provided keypoints moved by the train split's offsets to DIR, to train on
(``mcat train --pose DIR``) and score as another group (with no group given, that is all it does). Then prints
test macro-F1 and accuracy per set, mean ± 95% t-interval over each group's models, each set's paired drop from
``provided``, and, where the groups have as many models, each later group's paired difference from the first
(seed by seed, in the order given). Raw scores go to ``WORK/scores.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import torch

from mcat.config import load_params
from mcat.data.store import Store
from mcat.errors import McatError
from mcat.evaluate.stage import evaluate
from mcat.pose.joints import JOINTS
from mcat.train.augment import pose_errors
from options import cell, run

ROOT = Path(__file__).resolve().parents[1]
SETS = ("provided", "missed people only", "misplaced joints only", "estimated")
QUANTILES = (0.25, 0.5, 0.75, 0.9)


def scaled(scale: float) -> str:
    """The name of the keypoint set whose misplaced joints are off by ``scale`` times the estimator's displacement."""
    return f"joints off by {scale:g}x"


def set_names(scales: list[float]) -> list[str]:
    """The keypoint sets scored, in the order of the table: :data:`SETS` with the scaled ones before the third."""
    return [*SETS[:2], *map(scaled, scales), *SETS[2:]]


def nobody(pose: np.ndarray) -> np.ndarray:
    """bool [N, 1, 1]: the frames of keypoints [N, K, 3] where no joint is seen."""
    return ~(pose[..., 2] > 0).any(axis=1)[:, None, None]


def recordings(provided: Path, estimated: Path) -> list[str]:
    """The recordings the estimator has keypoints of, each also in the provided store."""
    ids = sorted(p.stem for p in estimated.glob("*.npy"))
    if not ids:
        raise McatError(f"{estimated} holds no keypoints: run `mcat pose -S pose.backend=blazepose --out {estimated}`")
    if missing := [i for i in ids if not (provided / f"{i}.npy").is_file()]:
        raise McatError(f"{provided} has no keypoints of {missing[0]}: give the provided keypoints of the same store "
                        "(--provided)")
    return ids


def pair(provided: Path, estimated: Path, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The provided and the estimated keypoints [N, K, 3] of recordings ``ids``, end to end."""
    exact, guessed = [], []
    for i in ids:
        exact.append(np.load(provided / f"{i}.npy"))
        guessed.append(np.load(estimated / f"{i}.npy"))
        if exact[-1].shape != guessed[-1].shape:
            raise McatError(f"{i}: {provided} holds {list(exact[-1].shape)} keypoints, {estimated} "
                            f"{list(guessed[-1].shape)}: give keypoints of the same store")
    return np.concatenate(exact), np.concatenate(guessed)


def folder_name(name: str) -> str:
    """The folder of keypoint set ``name`` (its words joined by underscores)."""
    return name.replace(" ", "_")


def off_by(scale: float):
    """Keypoints [N, K, 3] from provided ``p`` and estimated ``e``: the estimator's misplaced joints only, each
    ``scale`` times as far from its provided place, with the estimator's visibility (the provided keypoints where the
    estimator found nobody; the estimator's where the provided ones do not see the joint)."""
    def mix(p: np.ndarray, e: np.ndarray) -> np.ndarray:
        both = (p[..., 2:] > 0) & (e[..., 2:] > 0)
        moved = np.concatenate([np.where(both, p[..., :2] + scale * (e[..., :2] - p[..., :2]), e[..., :2]),
                                e[..., 2:]], axis=-1)
        return np.where(nobody(e), p, moved)
    return mix


def keypoint_sets(provided: Path, estimated: Path, work: Path, scales: list[float] = ()) -> dict[str, Path]:
    """The keypoint stores of the module docstring under ``work`` (the two given ones as they are), one more per
    scale of ``scales`` (:func:`off_by`)."""
    mixes = {"missed people only": lambda p, e: np.where(nobody(e), 0, p),
             **{scaled(scale): off_by(scale) for scale in scales},
             "misplaced joints only": lambda p, e: np.where(nobody(e), p, e)}
    out = {"provided": provided, "estimated": estimated}
    for name, mix in mixes.items():
        folder = work / "keypoints" / folder_name(name)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(estimated, folder, ignore=shutil.ignore_patterns("*.npy"))  # the estimated store's stamps
        for i in recordings(provided, estimated):
            np.save(folder / f"{i}.npy", mix(*pair(provided, estimated, [i])).astype(np.float32))
        out[name] = folder
    return out


def error_profile(provided: np.ndarray, other: np.ndarray, min_visibility: float) -> str:
    """How keypoints [N, K, 3] differ from the ``provided`` ones: frames with nobody, and the quantiles of the
    displacement of the joints both see (``other``'s with a visibility of at least ``min_visibility``)."""
    both = (provided[..., 2] > 0) & (other[..., 2] >= min_visibility)
    moved = np.linalg.norm(other[..., :2] - provided[..., :2], axis=-1)[both]
    if not len(moved):
        return f"nobody in {nobody(other).mean():.1%} of the frames; no joint seen by both"
    return (f"nobody in {nobody(other).mean():.1%} of the frames; displacement at "
            + " / ".join(f"{q:.0%}" for q in QUANTILES) + ": "
            + " / ".join(f"{v:.3f}" for v in np.quantile(moved, QUANTILES)))


def body_axis(pose: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame of keypoints [N, K, 3]: the body's size (the larger side of its seen joints' box) float [N], its
    axis (mid-hip to mid-shoulder, unit) float [N, 2], and whether both are defined (both shoulders and hips seen,
    a body over 5 % of the frame) bool [N]."""
    seen = pose[..., 2] > 0
    xy = np.where(seen[..., None], pose[..., :2], np.nan)
    with warnings.catch_warnings():  # a frame with nobody seen has no box: size 0
        warnings.simplefilter("ignore", RuntimeWarning)
        size = np.nan_to_num(np.nanmax(np.nanmax(xy, axis=1) - np.nanmin(xy, axis=1), axis=-1))
    axis = pose[:, 1:3, :2].mean(axis=1) - pose[:, 7:9, :2].mean(axis=1)  # shoulders - hips (mcat.pose.joints)
    length = np.linalg.norm(axis, axis=-1)
    defined = seen[:, [1, 2, 7, 8]].all(axis=1) & (size > 0.05) & (length > 0.02)
    return size, axis / np.maximum(length, 1e-6)[:, None], defined


def axis_offsets(provided: np.ndarray, other: np.ndarray, min_visibility: float) -> np.ndarray:
    """Per joint float [K]: the median of how far ``other``'s keypoints [N, K, 3] sit from the provided ones along
    the body's axis, toward the head, in units of the body's size (:func:`body_axis` of the provided ones): a
    pose model's keypoint convention, where the joints both see."""
    size, axis, defined = body_axis(provided)
    both = (provided[..., 2] > 0) & (other[..., 2] >= min_visibility) & defined[:, None]
    along = (((other[..., :2] - provided[..., :2]) / np.where(size > 0, size, 1)[:, None, None])
             * axis[:, None, :]).sum(axis=-1)
    return np.array([np.median(along[both[:, j], j]) if both[:, j].any() else 0.0 for j in range(provided.shape[1])])


def in_convention(pose: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Keypoints [N, K, 3] with every seen joint moved along the body's axis by ``offsets`` [K] (body sizes);
    frames whose axis is undefined stay as they are."""
    size, axis, defined = body_axis(pose)
    moved = pose.copy()
    move = offsets[None, :, None] * size[:, None, None] * axis[:, None, :]
    seen = (pose[..., 2] > 0) & defined[:, None]
    moved[..., :2] = np.where(seen[..., None], pose[..., :2] + move, pose[..., :2])
    return moved.astype(np.float32)


def splits_of(store: Path, estimated: Path) -> dict[str, list[str]]:
    """The recordings of each split that the estimator has keypoints of."""
    splits: dict[str, list[str]] = {}
    for rec in Store(store).recordings:
        if (estimated / f"{rec.recording_id}.npy").is_file():
            splits.setdefault(rec.split, []).append(rec.recording_id)
    return splits


def print_calibration(provided: Path, estimated: Path, store: Path, T: int, min_visibility: float) -> None:
    """Per split: the estimator's errors and ``pose_errors``' (seed 0) against the provided keypoints, and the
    estimator's convention (:func:`axis_offsets`)."""
    generator = torch.Generator().manual_seed(0)
    for split, ids in splits_of(store, estimated).items():
        exact, guessed = pair(provided, estimated, ids)
        n = len(exact) // T * T
        clips = torch.from_numpy(exact[:n]).view(-1, T, *exact.shape[1:])
        noisy = pose_errors(clips, 1.0, generator).reshape(n, *exact.shape[1:]).numpy()
        print(f"{split}: estimated: {error_profile(exact, guessed, min_visibility)}")
        print(f"{split}: pose_noise: {error_profile(exact[:n], noisy, min_visibility)}")
        offsets = axis_offsets(exact, guessed, min_visibility)
        print(f"{split}: estimated joints along the body toward the head (median, body sizes): "
              + ", ".join(f"{name} {v:+.3f}" for name, v in zip(JOINTS, offsets)))


def write_convention(provided: Path, estimated: Path, store: Path, out: Path, min_visibility: float) -> None:
    """``out``: the provided keypoints of every recording moved into the estimator's convention, as measured on the
    train split (:func:`axis_offsets`, :func:`in_convention`); a pose store to train on (``mcat train --pose``)."""
    inputs = [folder.resolve() for folder in (provided, estimated)]
    if any(out.resolve() == folder or out.resolve() in folder.parents for folder in inputs):
        raise McatError(f"--write-convention {out} is one of the input keypoint stores (or inside one): it would be "
                        "overwritten; give a new folder")
    train = splits_of(store, estimated).get("train")
    if not train:
        raise McatError(f"{estimated} has no keypoints of the train split: its convention is measured there")
    offsets = axis_offsets(*pair(provided, estimated, train), min_visibility)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(provided, out, ignore=shutil.ignore_patterns("*.npy"))  # the provided store's stamps
    for path in sorted(provided.glob("*.npy")):
        np.save(out / path.name, in_convention(np.load(path), offsets))
    print(f"{out}: the provided keypoints in the estimator's convention (train-split offsets)")


def group(text: str) -> tuple[str, list[Path]]:
    label, _, models = text.partition("=")
    if not label or not models:
        raise argparse.ArgumentTypeError(f"{text!r}: give LABEL=MODEL[,MODEL...], e.g. none=seed0.pt,seed1.pt")
    return label, [Path(m) for m in models.split(",")]


def scales(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if not values or any(not 0 <= v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: give fractions from 0 up to 1 (1 is misplaced joints only), "
                                         "e.g. 0.25,0.5,0.75")
    return sorted(set(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", type=group, nargs="*", help="LABEL=MODEL[,MODEL...], one model per seed")
    parser.add_argument("--estimated", type=Path, required=True, help="keypoints of a pose model (mcat pose --out)")
    parser.add_argument("--provided", type=Path, default=ROOT / "data/pose")
    parser.add_argument("--windows", type=Path, default=ROOT / "data/windows")
    parser.add_argument("--store", type=Path, default=ROOT / "data/ingested")
    parser.add_argument("--masks", type=Path, default=ROOT / "data/masks")
    parser.add_argument("--work", type=Path, default=ROOT / "reports" / "pose_gap_bench")
    parser.add_argument("--device", default="cpu", help="where the models score (cpu, as the pipeline on a CPU)")
    parser.add_argument("--write-convention", type=Path, metavar="DIR",
                        help="also write the provided keypoints moved into the estimator's convention to DIR")
    parser.add_argument("--scales", type=scales, default=[], metavar="S,S,...",
                        help="also score the misplaced joints at these fractions of the estimator's displacement")
    args = parser.parse_args()
    if not args.groups and not args.write_convention:
        parser.error("give at least one LABEL=MODEL[,MODEL...] group to score, or --write-convention DIR")
    if missing := [m for _, models in args.groups for m in models if not m.is_file()]:
        parser.error(f"{missing[0]} is not a model file: give a trained model's model.pt")
    params = load_params(ROOT / "params.yaml", None, [])
    recordings(args.provided, args.estimated)
    print_calibration(args.provided, args.estimated, args.store, params.windows.T, params.pose.min_visibility)
    if args.write_convention:
        write_convention(args.provided, args.estimated, args.store, args.write_convention, params.pose.min_visibility)
    if not args.groups:
        return
    sets = keypoint_sets(args.provided, args.estimated, args.work, args.scales)
    params = params.evaluate.model_copy(update={"splits": ["test"]})
    scores: dict[str, dict[str, list[dict]]] = {}
    for label, models in args.groups:
        for name, pose in sets.items():
            for k, model in enumerate(models):
                reports = args.work / "reports" / label / folder_name(name) / str(k)
                test = evaluate(params, model, args.windows, args.store, args.masks, reports, pose=pose,
                                device=args.device).metrics["test"]
                scores.setdefault(label, {}).setdefault(name, []).append(
                    {"model": str(model), "accuracy": test["accuracy"], "macro_f1": test["macro_f1"]})
    (args.work / "scores.json").write_text(json.dumps(scores, indent=1))
    labels = [label for label, _ in args.groups]
    paired = labels[1:] if len({len(models) for _, models in args.groups}) == 1 else []
    print("| keypoints at test | " + " | ".join(f"{lb}: F1 | {lb}: acc. | {lb}: F1 − provided" for lb in labels)
          + "".join(f" | F1, {lb} − {labels[0]} (paired)" for lb in paired) + " |")
    print("|---|" + "---|---|---|" * len(labels) + "---|" * len(paired))
    for name in set_names(args.scales):
        f1 = {label: [s["macro_f1"] for s in scores[label][name]] for label in labels}
        row = []
        for label in labels:
            drop = np.subtract(f1[label], [s["macro_f1"] for s in scores[label]["provided"]])
            row += [cell(f1[label]), cell([s["accuracy"] for s in scores[label][name]]),
                    "–" if name == "provided" else cell(list(drop), signed=True)]
        row += [cell(list(np.subtract(f1[label], f1[labels[0]])), signed=True) for label in paired]
        print(f"| {name} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    run(main)
