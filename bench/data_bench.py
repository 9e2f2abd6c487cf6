"""Data-path throughput, measured side by side in one run on the same files.

    python bench/data_bench.py [--preset demo] [--recordings 3] [--phone-rounds 2]

Prints: render frames/s (``mcat synth``), raw decode frames/s vs ingest decode+gray+resize frames/s
(same videos, as a ratio); for the test video re-encoded as a phone films it (7.5× larger, at 60 frames/s, mp4v),
OpenCV's decode alone (``read``: decode and BGR; ``grab``: decode only) and ingest's decode, every frame converted
and the 30 fps clock's taken after (up to commit d231846) against only the clock's frames converted (now), in
alternating rounds; and ``WindowDataset`` clips/s (memory-mapped reads) with a DataLoader.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from torch.utils.data import DataLoader

from mcat.config import load_params
from mcat.data.dataset import WindowDataset
from mcat.ingest.stage import ingest
from mcat.data.video import decode_gray, gray_frame, probe, read_frames
from mcat.ingest.stage import framing_of
from mcat.windows.stage import make_windows
from mcat.masks.stage import generate_masks
from mcat.synth.stage import synth
from videos import upscaled

ROOT = Path(__file__).resolve().parents[1]


def raw_decode(path: Path, convert: bool = True) -> int:
    """Every frame of ``path`` decoded by OpenCV (``read``: and converted to BGR; ``grab`` without ``convert``)."""
    cap = cv2.VideoCapture(str(path))
    n = 0
    while (cap.read()[0] if convert else cap.grab()):
        n += 1
    cap.release()
    return n


def decode_gray_before(path: Path, framing) -> np.ndarray:
    """Ingest's decode up to commit d231846: every frame converted and fitted, the clock's frames taken after."""
    frames = np.stack([gray_frame(frame, framing) for frame in read_frames(path)])
    return frames[framing.positions(len(frames), probe(path).fps)]


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default=None, help="params preset (default: params.yaml, the demo)")
    parser.add_argument("--recordings", type=int, default=3, help="train recordings to render")
    parser.add_argument("--phone-rounds", type=int, default=2, help="alternating rounds of the phone-size decode")
    args = parser.parse_args()
    params = load_params(ROOT / "params.yaml", args.preset, [
        f"synth.splits.train.recordings={args.recordings}", "synth.splits.val.recordings=0",
        "synth.splits.test.recordings=1"])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        workers = os.cpu_count() or 1
        result, one_s = timed(lambda: synth(params.synth, tmp / "synthetic"))
        _, many_s = timed(lambda: synth(params.synth, tmp / "synthetic", workers=workers))
        print(f"render ({params.synth.width}x{params.synth.height}, mp4 + masks), 1 worker: "
              f"{result.frames / one_s:8.0f} frames/s  ({result.frames} frames)")
        print(f"render, {workers} workers:                    {result.frames / many_s:8.0f} frames/s  "
              f"(speed-up {one_s / many_s:.2f}x)")
        videos = sorted((tmp / "synthetic/videos").glob("*.mp4"))
        frames, raw_s = timed(lambda: sum(raw_decode(v) for v in videos))
        _, ingest_s = timed(lambda: [decode_gray(v, framing_of(params.ingest)) for v in videos])
        print(f"raw decode:                        {frames / raw_s:8.0f} frames/s")
        print(f"decode + gray + resize to {params.ingest.resolution}:      {frames / ingest_s:8.0f} frames/s  "
              f"(ratio to raw decode {raw_s / ingest_s:.2f})")
        framing = framing_of(params.ingest)
        phone = upscaled(videos[-1], 7.5, 60, tmp)
        seconds = {"before": [], "now": []}
        for _ in range(args.phone_rounds):
            before, s_before = timed(lambda: decode_gray_before(phone, framing))
            now, s_now = timed(lambda: decode_gray(phone, framing).frames)
            assert (before == now).all()
            seconds["before"].append(s_before)
            seconds["now"].append(s_now)
        size, kept = probe(phone), len(before)
        source, read_s = timed(lambda: raw_decode(phone))
        _, grab_s = timed(lambda: raw_decode(phone, convert=False))
        print(f"raw decode of {size.width}x{size.height}: read (decode + BGR) {1000 * read_s / source:.2f} ms a frame, "
              f"grab (decode only) {1000 * grab_s / source:.2f} ms a frame")
        print(f"ingest decode of {size.width}x{size.height} at 60 fps ({size.announced} frames, {kept} on the clock), "
              f"every frame converted: {kept / min(seconds['before']):6.0f} clock frames/s; only the clock's: "
              f"{kept / min(seconds['now']):6.0f} ({min(seconds['before']) / min(seconds['now']):.2f}x; the same "
              f"frames; best of {args.phone_rounds} alternating rounds)")
        ingest_params = params.ingest.model_copy(update={"source": str(tmp / "synthetic")})
        _, stage_s = timed(lambda: ingest(ingest_params, tmp / "store"))
        print(f"mcat ingest stage (incl. sha256, masks, writes): {frames / stage_s:8.0f} frames/s")
        minutes = frames / params.synth.fps / 60
        per_hour = 3600 / stage_s
        print(f"one ingest pod (this process): {len(videos) * per_hour:8.0f} videos/h = {minutes * per_hour:6.0f} "
              f"video-minutes/h; N ingest shards: N times as many")
        selfie = params.masks.model_copy(update={"backend": "selfie"})
        _, selfie_s = timed(lambda: generate_masks(selfie, tmp / "store", tmp / "selfie", source=ingest_params.source))
        print(f"one masks pod, selfie backend: {len(videos) * 3600 / selfie_s:8.0f} videos/h = "
              f"{minutes * 3600 / selfie_s:6.0f} video-minutes/h ({frames / selfie_s:.0f} frames/s); N mask shards: N times")
        generate_masks(params.masks, tmp / "store", tmp / "masks", source=ingest_params.source)
        make_windows(params.windows, tmp / "store", tmp / "masks", tmp / "windows")
        dataset = WindowDataset(tmp / "windows", "train", tmp / "store", tmp / "masks")
        [dataset[i] for i in range(len(dataset))]  # warm the page cache: every reader below sees the same
        _, single_s = timed(lambda: [dataset[i] for i in range(len(dataset))])
        print(f"WindowDataset[i] (T={dataset.T}, {params.ingest.resolution}px):  {len(dataset) / single_s:8.0f} clips/s")
        for workers in (0, 2):
            loader = DataLoader(dataset, batch_size=32, shuffle=True, num_workers=workers)
            _, loader_s = timed(lambda: sum(len(y) for _, y in loader))
            print(f"DataLoader batch 32, {workers} workers, shuffled: {len(dataset) / loader_s:8.0f} clips/s")


if __name__ == "__main__":
    main()
