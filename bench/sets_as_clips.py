"""Every exercise set of a split's synthetic videos cut out as a clip of its own, with a ``video,exercise`` CSV: the
stand-in, inside the synthetic world, for a folder of real clips of one exercise each, scored the way a user scores
theirs (``mcat predict CLIPS --clip-labels CLIPS/clips.csv``: clip accuracy with its interval, README *Prediction*).

    python bench/sets_as_clips.py [--data data/synthetic] [--split test] [--context 1.0] --out CLIPS

Each clip is the set's frames with up to ``--context`` seconds of what comes before and after (rest, walking in
and out: ``non_activity``), as a real clip of a set starts and ends; it keeps the video's frame size and rate.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from mcat.atomic import atomic_dir, write_csv
from mcat.data.framewise import read_classes, read_csv, read_label_csv
from mcat.data.video import probe, read_frames
from mcat.predict.timeline import runs
from options import run


def cut(video: Path, labels: np.ndarray, seconds: float, names: list[str], out: Path) -> list[tuple[str, str]]:
    """Write each exercise set (a run of one class id > 0 in ``labels`` int [N]) of ``video`` with ``seconds`` of
    context either side into ``out`` as ``<stem>_set<k>.mp4``; its (file name, exercise) rows."""
    info = probe(video)
    context = round(seconds * info.fps)
    frames = list(read_frames(video, len(labels), None))
    rows = []
    for k, seg in enumerate(s for s in runs(labels) if s.label > 0):
        name = f"{video.stem}_set{k}.mp4"
        writer = cv2.VideoWriter(str(out / name), cv2.VideoWriter_fourcc(*"mp4v"), info.fps, (info.width, info.height))
        try:
            for frame in frames[max(0, seg.start - context):seg.end + context]:
                writer.write(frame)
        finally:
            writer.release()
        rows.append((name, names[seg.label]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/synthetic"), help="a synthetic dataset (mcat synth)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--context", type=float, default=1.0, help="seconds kept before and after each set")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write (replaced)")
    args = parser.parse_args()
    if args.context < 0:
        parser.error(f"--context {args.context:g}: seconds of context cannot be negative")
    manifest = read_csv(args.data / "manifest.csv", ("recording_id", "video", "labels", "split"), "the manifest")
    names = read_classes(args.data / "classes.csv")
    recordings = [r for r in manifest if r["split"] == args.split]
    if not recordings:
        raise SystemExit(f"{args.data}/manifest.csv has no recording in split '{args.split}'")
    rows = []
    with atomic_dir(args.out) as tmp:
        for r in recordings:
            video = args.data / r["video"]
            labels = read_label_csv(args.data / r["labels"], len(names), r["recording_id"]).astype(np.int64)
            rows += cut(video, labels, args.context, names, tmp)
        write_csv(tmp / "clips.csv", ["video", "exercise"], rows)
    print(f"{len(rows)} sets of {len(recordings)} {args.split} videos -> {args.out}; score them with: mcat predict "
          f"{args.out} --clip-labels {args.out / 'clips.csv'}")


if __name__ == "__main__":
    run(main)
