"""``mcat synth``: render the synthetic speed-shift dataset in the ``framewise`` layout.

Output (written under a temporary name, then renamed into place)::

    <out>/manifest.csv        recording_id, video, labels, masks, pose, split, domain, subject
    <out>/classes.csv         id, name (0 = non_activity)
    <out>/videos/<id>.mp4     BGR video, mp4v
    <out>/labels/<id>.csv     frame, label (one row per frame)
    <out>/masks/<id>.npz      masks: uint8 {0,1} [N, height, width], the exact silhouettes
    <out>/pose/<id>.npy       float32 [N, K, 3], the exact keypoints as projected (where a pose model puts
                              them: mcat.synth.keypoints)
    <out>/sets.csv            one row per set: recording_id, exercise, variant, and how it was filmed (camera
                              angles, distance, framing, frame shape, place, occluder, overlays, blur)
    <out>/synth.json          the params, class shares per split, KL(train‖test), rep durations
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from mcat.atomic import atomic_dir, write_csv
from mcat.classes import class_names
from mcat.data.store import write_classes
from mcat.config import SynthParams
from mcat.errors import McatError
from mcat.stats import class_counts, distribution_table, kl_divergence
from mcat.synth.motion import Motion, workout
from mcat.synth.render import Film


@dataclass(frozen=True)
class SynthResult:
    out: Path
    recordings: int
    frames: int
    kl_train_test: float
    summary: str


def plan_sets(params: SynthParams, split_index: int, n_recordings: int) -> list[list[str]]:
    """The exercises of each recording of a split: consecutive runs of a shuffled cycle over all exercises,
    so that every exercise appears as soon as the split has enough sets."""
    rng = np.random.default_rng([params.seed, split_index, 1_000_003])
    k = params.sets_per_recording
    cycles = -(-n_recordings * k // len(params.exercises))
    order = [params.exercises[i] for _ in range(cycles) for i in rng.permutation(len(params.exercises))]
    return [order[r * k:(r + 1) * k] for r in range(n_recordings)]


def render_recording(motion: Motion, film: Film, video: Path, rng: np.random.Generator) -> np.ndarray:
    """Write ``motion`` as filmed by ``film`` to ``video`` and return the exact visible masks uint8 {0,1}
    [N, h, w] (the exact keypoints: ``film.pose(masks)``)."""
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), film.fps, (film.width, film.height))
    if not writer.isOpened():
        raise McatError(f"OpenCV cannot write mp4 video to {video}: install opencv-python-headless with FFmpeg")
    masks = np.empty((len(motion.labels), film.height, film.width), np.uint8)
    previous = None
    try:
        for i in range(len(motion.labels)):
            previous, masks[i] = film.frame(i, film.person(i), rng, previous)
            writer.write(previous)
    finally:
        writer.release()
    return masks


@dataclass(frozen=True)
class _Job:
    split: str
    split_index: int
    index: int
    subject: int
    domain: str
    sets: list[str]


def plan_recording(params: SynthParams, split_index: int, index: int, sets: list[str], domain: str,
                   ) -> tuple[Motion, Film, np.random.Generator]:
    """What recording ``index`` of a split does and how it is filmed, before any pixel is drawn, and the
    generator that goes on to draw its frames."""
    names = class_names(params.exercises)
    rng = np.random.default_rng([params.seed, split_index, index])
    motion = workout([(name, names.index(name)) for name in sets], params.domains[domain], params, rng)
    return motion, Film.shoot(motion, params, rng), rng


def _render_job(job: _Job, params: SynthParams, tmp: Path) -> tuple[dict, list[dict], np.ndarray, list[float]]:
    """Render one recording into ``tmp``: its manifest row, its sets' rows, class counts [C] and rep durations."""
    names = class_names(params.exercises)
    rid = f"{job.split}_{job.index:03d}"
    motion, film, rng = plan_recording(params, job.split_index, job.index, job.sets, job.domain)
    masks = render_recording(motion, film, tmp / "videos" / f"{rid}.mp4", rng)
    np.savez_compressed(tmp / "masks" / f"{rid}.npz", masks=masks)
    np.save(tmp / "pose" / f"{rid}.npy", film.pose(masks))
    _write_labels(tmp / "labels" / f"{rid}.csv", motion.labels)
    row = {"recording_id": rid, "video": f"videos/{rid}.mp4", "labels": f"labels/{rid}.csv",
           "masks": f"masks/{rid}.npz", "pose": f"pose/{rid}.npy", "split": job.split, "domain": job.domain, "subject": f"s{job.subject:03d}"}
    sets = [{"recording_id": rid, **r} for r in film.set_rows(motion)]
    return row, sets, class_counts(motion.labels, len(names)), motion.rep_seconds


def synth(params: SynthParams, out: Path, workers: int = 1) -> SynthResult:
    """Render every split's recordings into ``out`` (replaced atomically), ``workers`` recordings at a time.

    Each recording draws from its own seeded generator, so the output does not depend on ``workers``.
    """
    names = class_names(params.exercises)
    out = Path(out)
    jobs = []
    for split_index, (split, sp) in enumerate(params.splits.items()):
        for r, sets in enumerate(plan_sets(params, split_index, sp.recordings)):
            jobs.append(_Job(split, split_index, r, len(jobs), sp.domain, sets))
    if not jobs:
        raise McatError("synth.splits asks for 0 recordings: set synth.splits.<split>.recordings >= 1")

    counts = {split: np.zeros(len(names), np.int64) for split in params.splits}
    rep_seconds: dict[str, list[float]] = {domain: [] for domain in params.domains}
    rows, set_rows = [], []
    with atomic_dir(out) as tmp:
        for sub in ("videos", "labels", "masks", "pose"):
            (tmp / sub).mkdir()
        with ProcessPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
            render = partial(_render_job, params=params, tmp=tmp)
            results = pool.map(render, jobs) if pool else map(render, jobs)
            for job, (row, job_sets, job_counts, job_reps) in tqdm(zip(jobs, results), total=len(jobs), desc="synth",
                                                        unit="rec", disable=None):
                rows.append(row)
                set_rows.extend(job_sets)
                counts[job.split] += job_counts
                rep_seconds[job.domain].extend(job_reps)
        write_csv(tmp / "manifest.csv", list(rows[0]), (list(row.values()) for row in rows))
        write_csv(tmp / "sets.csv", list(set_rows[0]), (list(row.values()) for row in set_rows))
        write_classes(tmp / "classes.csv", names)
        kl = kl_divergence(counts["train"], counts["test"]) if {"train", "test"} <= set(counts) else float("nan")
        summary = (distribution_table(counts, names) + f"\nKL(train||test) = {kl:.3f} nats (frame labels)")
        report = {
            "params": params.model_dump(mode="json"),
            "frames": {s: int(c.sum()) for s, c in counts.items()},
            "class_counts": {s: c.tolist() for s, c in counts.items()},
            "kl_train_test_nats": kl,
            "mean_rep_seconds": {d: float(np.mean(v)) if v else None for d, v in rep_seconds.items()},
        }
        (tmp / "synth.json").write_text(json.dumps(report, indent=2) + "\n")
    total = int(sum(c.sum() for c in counts.values()))
    return SynthResult(out=out, recordings=len(rows), frames=total, kl_train_test=kl, summary=summary)


def _write_labels(path: Path, labels: np.ndarray) -> None:
    with open(path, "w", newline="") as f:
        f.write("frame,label\n")
        f.writelines(f"{i},{int(v)}\n" for i, v in enumerate(labels))
