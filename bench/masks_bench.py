"""Mask backends side by side on the same rendered frames, in one run.

    python bench/masks_bench.py [--recordings 2] [--frames 300] [--yolo-weights yolo11n-seg.pt]
                                [--backends selfie:litert,selfie:opencv,background,yolo]

Prints frames/s of each backend (``selfie:RUNTIME``: ``masks.selfie.runtime``) and its mean IoU against the
renderer's exact masks (demo preset), and
YOLO batched through the backend vs a per-frame ``model(frame)`` loop. Without downloadable weights (as on
the build machine) YOLO is built from its YAML: its speed is real, its IoU is that of an untrained model.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from mcat.config import load_params
from mcat.errors import McatError
from mcat.masks.backends import backend_settings, make_segmenter
from mcat.masks.quality import mean_iou
from mcat.synth.stage import synth

ROOT = Path(__file__).resolve().parents[1]


def read_frames(video: Path, n: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(video))
    frames = []
    while len(frames) < n:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    return np.stack(frames)


def run(segmenter, clips: list[np.ndarray], batch: int) -> tuple[list[np.ndarray], float]:
    start = time.perf_counter()
    out = []
    for frames in clips:
        segmenter.reset()
        out.append(np.concatenate([segmenter.segment(frames[i:i + batch]) for i in range(0, len(frames), batch)]))
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=2)
    parser.add_argument("--frames", type=int, default=300, help="frames per recording")
    parser.add_argument("--yolo-weights", default="yolo11n-seg.pt")
    parser.add_argument("--backends", default="selfie:litert,selfie:opencv,background,yolo")
    args = parser.parse_args()
    params = load_params(ROOT / "params.yaml", None, [f"synth.splits.train.recordings={args.recordings}",
                                                      "synth.splits.val.recordings=0", "synth.splits.test.recordings=0"])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("MCAT_CACHE_DIR", str(Path(tmp) / "cache"))
        data = synth(params.synth, Path(tmp) / "synthetic", workers=os.cpu_count() or 1).out
        ids = [f"train_{i:03d}" for i in range(args.recordings)]
        clips = [read_frames(data / f"videos/{rid}.mp4", args.frames) for rid in ids]
        truth = [np.load(data / f"masks/{rid}.npz")["masks"][:len(c)] for rid, c in zip(ids, clips)]
        total = sum(len(c) for c in clips)
        print(f"{total} frames of {params.synth.width}x{params.synth.height}, batch {params.masks.batch_size}")
        for backend in args.backends.split(","):
            masks_params = backend_settings(params.masks, backend)
            if backend.startswith("selfie"):
                model = ROOT.parent / "shared/models/mediapipe_selfie_segmentation_256x256.tflite"
                masks_params = masks_params.model_copy(update={"selfie": masks_params.selfie.model_copy(
                    update={"model": str(model)})})
            note = ""
            if backend == "yolo":
                try:
                    segmenter = make_segmenter(masks_params.model_copy(update={"yolo": masks_params.yolo.model_copy(
                        update={"weights": args.yolo_weights})}))
                except McatError:
                    note = " (untrained: built from yolo11n-seg.yaml, no weights on this machine)"
                    segmenter = make_segmenter(masks_params.model_copy(update={"yolo": masks_params.yolo.model_copy(
                        update={"weights": "yolo11n-seg.yaml", "confidence": 0.0, "max_persons": 300})}))
            else:
                segmenter = make_segmenter(masks_params)
            masks, seconds = run(segmenter, clips, params.masks.batch_size)
            iou = np.mean([mean_iou(m, t) for m, t in zip(masks, truth)])
            print(f"{backend:<14}{total / seconds:8.1f} frames/s   mean IoU vs exact masks {iou:.3f}{note}")
            if backend == "yolo":
                model = segmenter.model
                start = time.perf_counter()
                for frames in clips:
                    for frame in frames:
                        model(frame, classes=[0], conf=segmenter.params.confidence, imgsz=segmenter.params.imgsz,
                              retina_masks=True, device=segmenter.device, max_det=segmenter.params.max_persons, verbose=False)
                single = total / (time.perf_counter() - start)
                print(f"yolo, per-frame model(frame) loop: {single:8.1f} frames/s   "
                      f"(batched backend / loop: {total / seconds / single:.2f}x)")


if __name__ == "__main__":
    main()
