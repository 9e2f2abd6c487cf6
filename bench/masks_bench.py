"""Mask backends and pose estimators side by side on the same rendered frames, in one run.

    python bench/masks_bench.py [--recordings 2] [--frames 300] [--person-height 0.2,0.4]
                                [--backends selfie:litert,selfie:litert:whole,selfie:opencv,background,yolo]
                                [--yolo-weights yolo11n-seg.pt]
                                [--pose blazepose,yolo] [--yolo-pose-weights yolo11n-pose.pt]

Prints frames/s of each mask backend (``selfie:RUNTIME``: ``masks.selfie.runtime``, following the person as
``params.yaml`` says; ``:whole``: every frame read whole, ``masks.selfie.follow: false``; ``:general``: the general
model on wide frames too, no ``masks.selfie.landscape_model``) and its mean IoU against the
renderer's exact masks (demo preset), overall and per frame shape, YOLO batched through the backend vs a
per-frame ``model(frame)`` loop, and frames/s of each pose estimator (``mcat pose``; each frame cropped around
its exact mask) with its PCK@0.05 and mean error against the renderer's exact keypoints, in the model's square
frame. Without downloadable weights (as on the build machine) YOLO is built from its YAML: its speed is real, its
accuracy that of an untrained model.
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
from mcat.data.boxes import mask_box
from mcat.masks.backends import backend_settings, make_segmenter
from mcat.data.framing import Framing
from mcat.data.video import resize_masks
from mcat.ingest.stage import framing_of
from mcat.masks.quality import mean_iou
from mcat.pose.quality import pose_quality
from mcat.pose.stage import fitted, make_estimator
from mcat.synth.stage import synth
from options import floats, run as run_main, shared_models

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


def run(segmenter, clips: list[np.ndarray], batch: int) -> tuple[list[np.ndarray], list[float]]:
    """Each clip's masks and seconds."""
    out, seconds = [], []
    for frames in clips:
        start = time.perf_counter()
        segmenter.reset()
        out.append(np.concatenate([segmenter.segment(frames[i:i + batch]) for i in range(0, len(frames), batch)]))
        seconds.append(time.perf_counter() - start)
    return out, seconds


def shape_of(frames: np.ndarray) -> str:
    h, w = frames.shape[1:3]
    return f"{'landscape' if w > h else 'portrait' if h > w else 'square'} {w}x{h}"


def by_shape(clips: list[np.ndarray], ious: list[float], seconds: list[float]) -> str:
    """Frames/s and mean IoU per frame shape (the selfie models differ by it), from each clip's IoU and seconds."""
    cells = []
    for shape in sorted({shape_of(c) for c in clips}):
        mine = [i for i, c in enumerate(clips) if shape_of(c) == shape]
        rate = sum(len(clips[i]) for i in mine) / sum(seconds[i] for i in mine)
        cells.append(f"{shape}: {rate:.1f} frames/s, IoU {np.mean([ious[i] for i in mine]):.3f}")
    return "; ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=2)
    parser.add_argument("--frames", type=int, default=300, help="frames per recording")
    parser.add_argument("--person-height", type=floats, help="LOW,HIGH: the rendered person's share of the frame "
                        "height (synth.camera.person_height; default params.yaml's), e.g. 0.2,0.4 for people "
                        "filmed from afar")
    parser.add_argument("--yolo-weights", default="yolo11n-seg.pt")
    parser.add_argument("--backends", default="selfie:litert,selfie:litert:whole,selfie:litert:whole:general,"
                                              "selfie:opencv,background,yolo",
                        help="selfie:RUNTIME: litert or opencv; :whole: every frame read whole (no following); "
                             ":general: the general model on wide frames too")
    parser.add_argument("--pose", default="blazepose,yolo", help="pose estimators ('' for none)")
    parser.add_argument("--yolo-pose-weights", default="yolo11n-pose.pt")
    parser.add_argument("--phone-sizes", default="1920x1080,1080x1920,1280x720",
                        help="frame sizes (WxH; '' for none) at which selfie's fitted masks are timed against "
                             "full-size masks fitted after")
    args = parser.parse_args()
    params = load_params(ROOT / "params.yaml", None, [f"synth.splits.train.recordings={args.recordings}",
                                                      "synth.splits.val.recordings=0", "synth.splits.test.recordings=0",
                                                      *shared_models(ROOT),
                                                      *([f"synth.camera.person_height={args.person_height}"]
                                                        if args.person_height else [])])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("MCAT_CACHE_DIR", str(Path(tmp) / "cache"))
        data = synth(params.synth, Path(tmp) / "synthetic", workers=os.cpu_count() or 1).out
        ids = [f"train_{i:03d}" for i in range(args.recordings)]
        clips = [read_frames(data / f"videos/{rid}.mp4", args.frames) for rid in ids]
        truth = [np.load(data / f"masks/{rid}.npz")["masks"][:len(c)] for rid, c in zip(ids, clips)]
        total = sum(len(c) for c in clips)
        shapes = [shape_of(c) for c in clips]
        print(f"{total} frames ({', '.join(f'{shapes.count(s)} recordings {s}' for s in sorted(set(shapes)))}), "
              f"batch {params.masks.batch_size}")
        for backend in args.backends.split(","):
            masks_params = backend_settings(params.masks, backend)
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
            masks, times = run(segmenter, clips, params.masks.batch_size)
            seconds = sum(times)
            ious = [mean_iou(m, t) for m, t in zip(masks, truth)]
            print(f"{backend:<14}{total / seconds:8.1f} frames/s   mean IoU vs exact masks {np.mean(ious):.3f}{note}   "
                  f"({by_shape(clips, ious, times)})")
            if backend == "selfie:litert" and args.phone_sizes:
                fitted_vs_full(segmenter, clips, args.phone_sizes.split(","), params, min(64, args.frames))
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
        exact = [np.load(data / f"pose/{rid}.npy")[:len(c)] for rid, c in zip(ids, clips)]
        for backend in filter(None, args.pose.split(",")):
            pose_frames(params, backend, args.yolo_pose_weights, clips, truth, exact)


def fitted_vs_full(segmenter, clips: list[np.ndarray], sizes: list[str], params, n: int) -> None:
    """Side by side on the first ``n`` frames of each clip, upscaled to each phone-like size: masks drawn at the
    frame's size and then fitted to the model's resolution (``resize_masks``) against masks the segmenter fits
    itself (``segment(frames, framing)``), as ``mcat masks``, ingest and predict now ask for them."""
    framing = framing_of(params.ingest)
    batch = params.masks.batch_size
    for size in sizes:
        w, h = (int(v) for v in size.split("x"))
        frames = [np.stack([cv2.resize(f, (w, h)) for f in c[:n]]) for c in clips]
        count = sum(len(f) for f in frames)
        timed = {}
        for name in ("full", "fitted", "full", "fitted"):  # alternating; the second of each is kept
            start, out = time.perf_counter(), []
            for f in frames:
                segmenter.reset()  # each clip a new recording: a following segmenter starts from the whole frame
                for i in range(0, len(f), batch):
                    chunk = f[i:i + batch]
                    out.append(resize_masks(segmenter.segment(chunk), framing) if name == "full"
                               else segmenter.segment(chunk, framing))
            timed[name] = (count / (time.perf_counter() - start), np.concatenate(out))
        same = (timed["full"][1] == timed["fitted"][1]).mean()
        print(f"  selfie at {w}x{h}: full-size masks fitted after {timed['full'][0]:6.1f} frames/s, fitted by the "
              f"segmenter {timed['fitted'][0]:6.1f} ({timed['fitted'][0] / timed['full'][0]:.2f}x); "
              f"{100 * same:.3f} % of mask pixels equal")


def pose_frames(params, backend: str, weights: str, clips: list[np.ndarray], truth: list[np.ndarray],
                exact: list[np.ndarray]) -> None:
    """One pose estimator on every frame, cropped around the exact mask: frames/s, PCK and error vs exact joints."""
    pose = params.pose.model_copy(update={"backend": backend})
    note = ""
    try:
        estimator = make_estimator(pose.model_copy(update={"yolo": pose.yolo.model_copy(update={"weights": weights})}))
    except McatError:
        if backend != "yolo":
            raise
        note = " (untrained: built from yolo11n-pose.yaml, no weights on this machine)"
        estimator = make_estimator(pose.model_copy(update={"yolo": pose.yolo.model_copy(
            update={"weights": "yolo11n-pose.yaml", "confidence": 0.0})}))
    start = time.perf_counter()
    found = [np.stack([estimator.estimate(f, mask_box(m)) for f, m in zip(frames, masks)])
             for frames, masks in zip(clips, truth)]
    seconds = time.perf_counter() - start
    h, w = clips[0].shape[1:3]
    square = Framing(params.ingest.resolution)  # errors in the model's frame, as `mcat pose` measures them
    rows = [pose_quality(fitted(p, square, w, h), params.pose.min_visibility, fitted(e, square, w, h))
            for p, e in zip(found, exact)]
    total = sum(len(c) for c in clips)
    print(f"pose {backend:<9}{total / seconds:8.1f} frames/s   PCK@0.05 vs exact joints "
          f"{np.mean([r['pck_vs_provided'] for r in rows]):.3f}, mean error "
          f"{np.mean([r['error_vs_provided'] for r in rows]):.3f} of the frame{note}")


if __name__ == "__main__":
    run_main(main)
