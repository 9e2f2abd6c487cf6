"""``mcat predict`` on the demo's fast (test) videos with each CPU mask backend, in one run.

    python bench/predict_bench.py [--model models/model.pt] [--data data/synthetic] [--videos 4]
                                  [--backends selfie:litert,selfie:litert:whole,selfie:opencv,background,exact]
                                  [--pose-every 1,2] [--pose-thread on,off] [--frame-tokens on,off]
                                  [--tempo-averaging "1;1,0.5"] [--upscale 7.5] [--source-fps 60]
                                  [--decode before,now]

Needs `make demo` first (its model and synthetic dataset). Prints, per backend (``selfie:RUNTIME`` picks
``masks.selfie.runtime``; ``:whole`` every frame read whole, not following the person; ``:general`` the general
model on wide frames too), the real-time factor
(seconds of video per second of wall time: decoding, masks, windows and model), the masks' IoU against the
renderer's exact masks (both at the model's resolution), how well the merged timeline recovers the true
exercise segments (frame accuracy, segment accuracy, segment recall and precision at IoU ≥ 0.5), and the
clip-level answer a user gets for a clip of one exercise: every true exercise set cut out as a clip (its windows),
named by ``mcat predict``'s main exercise (mean probability, non_activity excluded) and, beside it, by a
majority of the windows' top classes. ``exact`` feeds the renderer's own masks (what the demo model was trained on):
the reference that separates mask errors from model errors. Pass ``--model`` a model trained on a
backend's masks (``-S masks.backend=selfie``) to measure that backend without the train/serve mismatch. A model
that reads keypoints gets them from ``predict.pose_backend`` (BlazePose) on the fly, inside the timed part, on
every n-th frame for each n of ``--pose-every`` (``predict.pose_every``; one row each; default: params.yaml's), in a
second thread or not (``--pose-thread``, ``predict.pose_thread``; default: params.yaml's). ``--frame-tokens off``
scores every window from its clip instead of from its frames' tokens encoded once (what predict does for MCAT;
the same probabilities), the way predict ran before.
``--tempo-averaging`` scores the same network with each set of test-time tempo averaging factors
(``train.tempo_averaging``; ``;`` between sets; one row each; default: what the model was trained with).
``--upscale K`` and ``--source-fps F`` first re-encode each video K times larger (a 192×144 render at 7.5 is 1440×1080,
a phone's size) at F frames/s (each frame repeated F/30 times; mp4v, the only encoder OpenCV's wheel carries: its
decode is not H.264's), outside the timed part, so that decoding weighs what it weighs on a user's videos; the
masks, keypoints and timelines are scored against the same truth. ``--decode before`` decodes as predict did up to
commit cd4d93f (every source frame converted to BGR, batches stacked from single frames, gray frames fitted for models
that read masks only), ``now`` as it does today (one row each; the same frames).
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

import mcat.masks.segment
import mcat.predict.stage
from mcat.config import load_params
from mcat.data.framewise import read_classes, read_csv, read_label_csv
from mcat.inference import ClipsOnly, resolve_device
from mcat.data.framing import Framing, source_index
from mcat.data.video import open_video, probe, resize_masks
from mcat.masks.backends import backend_settings, fitted, make_segmenter
from mcat.masks.quality import mean_iou
from mcat.modelfile import load_model_file, tempo_averaged
from mcat.predict.stage import framing_of, pose_estimator, predict_video, segmenter_threads
from mcat.predict.timeline import frame_labels, frames_of, main_exercise, runs, segment_scores
from options import float_sets, ints, run, shared_models, switches, words
from videos import upscaled

ROOT = Path(__file__).resolve().parents[1]


class Recorded:
    """A segmenter that keeps the masks it hands out, for their IoU against the exact ones."""

    def __init__(self, segmenter):
        self.segmenter, self.masks = segmenter, []

    def reset(self) -> None:
        self.segmenter.reset()
        self.masks = []

    def segment(self, frames: np.ndarray, framing: Framing | None = None) -> np.ndarray:
        self.masks.append(self.segmenter.segment(frames, framing))
        return self.masks[-1]


class ExactMasks:
    """The renderer's exact masks of one recording, handed out in frame order like a segmenter's: the
    reference row that separates mask errors from model errors."""

    def __init__(self, path: Path):
        self.masks, self.next = np.load(path)["masks"], 0

    def reset(self) -> None:
        self.next = 0

    def segment(self, frames: np.ndarray, framing: Framing | None = None) -> np.ndarray:
        self.next += len(frames)
        return fitted(self.masks[self.next - len(frames):self.next], framing)


def batches_before(path: Path, batch_size: int, limit: int | None = None, step: float | None = None):
    """How predict decoded up to commit cd4d93f: every source frame read (decoded and converted to BGR), the clock's
    kept, each batch stacked from single frames — the same batches as :func:`mcat.data.video.bgr_batches`."""
    cap, batch, done, at = open_video(path), [], 0, -1
    while limit is None or done < limit:
        ok, frame = cap.read()
        if not ok:
            break
        at += 1
        while (step is None or source_index(done, step) == at) and (limit is None or done < limit):
            done += 1
            batch.append(frame)
            if len(batch) == batch_size:
                yield np.stack(batch)
                batch = []
            if step is None:
                break
    cap.release()
    if batch:
        yield np.stack(batch)


@contextlib.contextmanager
def decoding(way: str):
    """Predict decoding ``now`` (as it does) or ``before`` (:func:`batches_before`, gray frames for every model)."""
    if way == "now":
        yield
        return
    now = mcat.masks.segment.bgr_batches, mcat.predict.stage.reads_frames
    mcat.masks.segment.bgr_batches, mcat.predict.stage.reads_frames = batches_before, lambda mode: True
    try:
        yield
    finally:
        mcat.masks.segment.bgr_batches, mcat.predict.stage.reads_frames = now


def set_votes(starts: np.ndarray, probs: np.ndarray, truth: np.ndarray, T: int, names: list[str],
              ) -> list[tuple[bool, bool]]:
    """Each true exercise set of a recording cut out as a clip of its own (the windows wholly inside it): is the
    clip's exercise right by :func:`~mcat.predict.timeline.main_exercise` (mean probability, non_activity
    excluded), and by a majority of the windows' top exercise classes (the alternative)?"""
    votes = []
    for seg in runs(truth):
        inside = (starts >= seg.start) & (starts + T <= seg.end)
        if seg.label == 0 or not inside.any():
            continue
        mean = main_exercise(probs[inside], names).label
        best = probs[inside].argmax(axis=1)
        exercises = best[best != 0]
        majority = np.bincount(exercises).argmax() if len(exercises) else mean
        votes.append((mean == seg.label, majority == seg.label))
    return votes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models/model.pt")
    parser.add_argument("--data", type=Path, default=ROOT / "data/synthetic")
    parser.add_argument("--backends", default="selfie:litert,selfie:opencv,background,exact")
    parser.add_argument("--videos", type=int, help="only the first N videos of the split (default: all)")
    parser.add_argument("--split", default="test", help="test: fast executions (the speed shift); val: slow ones")
    parser.add_argument("--pose-every", type=ints, help="comma-separated predict.pose_every values, one row each "
                                                 "(a model that reads keypoints: every n-th frame estimated; default: "
                                                 "params.yaml's)")
    parser.add_argument("--pose-thread", type=switches, help="on,off: keypoints in a second thread or not, one row "
                                                             "each (default: params.yaml's predict.pose_thread)")
    parser.add_argument("--frame-tokens", type=switches, default=[True],
                        help="on,off: windows scored from per-frame tokens (predict's way for MCAT) or from clips")
    parser.add_argument("--upscale", type=float, default=1.0, help="re-encode each video this many times larger first")
    parser.add_argument("--source-fps", type=int, default=30, help="... at this frame rate (a multiple of 30)")
    parser.add_argument("--decode", type=words("before", "now"), default=["now"],
                        help="before,now: predict's decoding up to commit cd4d93f and today's, one row each")
    parser.add_argument("--tempo-averaging", type=float_sets, help="sets of train.tempo_averaging factors, e.g. '1;1,0.5', one row each "
                                                  "(default: the model's own)")
    args = parser.parse_args()
    if args.source_fps <= 0 or args.source_fps % 30 or not args.upscale > 0:
        parser.error("--source-fps must be a multiple of 30 and --upscale > 0")
    if not args.model.is_file() or not (args.data / "manifest.csv").is_file():
        raise SystemExit(f"{args.model} or {args.data}/manifest.csv is missing: run `make demo` first")
    params = load_params(ROOT / "params.yaml", None, shared_models(ROOT))
    device = resolve_device("cpu")
    model = load_model_file(args.model, device)
    estimator = pose_estimator(model, params.predict, params.pose)
    T, stride = model.preprocessing.T, model.preprocessing.stride
    recordings = [r for r in read_csv(args.data / "manifest.csv", ("video", "labels", "masks", "split", "domain"), "manifest")
                  if r["split"] == args.split][:args.videos]
    classes = read_classes(args.data / "classes.csv")
    print(f"{len(recordings)} {args.split} videos ({recordings[0]['domain']} executions), {params.synth.width}x{params.synth.height} at {params.synth.fps:g} fps; "
          f"model {args.model.name} ({model.input_mode}) at {model.preprocessing.resolution} px on {device}")
    everies = (args.pose_every or [params.predict.pose_every]) if estimator is not None else [1]
    averagings = args.tempo_averaging or [model.preprocessing.tempo_averaging]
    threads = (args.pose_thread or [params.predict.pose_thread]) if estimator is not None else [False]
    rows = ((b, n, t, f, a, d) for b in args.backends.split(",") for n in everies for t in threads
            for f in args.frame_tokens for a in averagings for d in args.decode)
    with tempfile.TemporaryDirectory() as copies:
        videos = {r["recording_id"]: args.data / r["video"] for r in recordings}
        if (args.upscale, args.source_fps) != (1.0, 30):
            videos = {rid: upscaled(v, args.upscale, args.source_fps, Path(copies)) for rid, v in videos.items()}
            size = probe(next(iter(videos.values())))
            print(f"re-encoded {args.upscale:g}x larger ({size.width}x{size.height}) at {args.source_fps} fps (mp4v)")
        for backend, every, thread, tokens, averaging, decode in rows:
            settings = params.predict.model_copy(update={"pose_every": every, "pose_thread": thread})
            scorer = tempo_averaged(model, averaging)
            if not tokens:
                scorer = replace(scorer, model=ClipsOnly(scorer.model))
            if backend != "exact":
                segmenter = Recorded(make_segmenter(backend_settings(params.masks, backend),
                                                    segmenter_threads(settings, estimator)))
            seconds = duration = 0.0
            scores, ious, votes = [], [], []
            with tempfile.TemporaryDirectory() as out:
                for r in recordings:
                    if backend == "exact":
                        segmenter = Recorded(ExactMasks(args.data / r["masks"]))
                    with decoding(decode):
                        result = predict_video(settings, scorer, segmenter, videos[r["recording_id"]],
                                               Path(out) / r["recording_id"], device, params.masks.batch_size,
                                               estimator=estimator)
                    masks = np.concatenate(segmenter.masks)
                    exact = resize_masks(np.load(args.data / r["masks"])["masks"][:len(masks)], framing_of(model))
                    ious.append(mean_iou(masks, exact))  # at the model's resolution, where predict keeps its masks
                    seconds += result.seconds
                    duration += result.frames / result.fps
                    truth = read_label_csv(args.data / r["labels"], len(classes), r["recording_id"])[:result.frames]
                    predicted = frame_labels(result.starts, result.probs.argmax(axis=1), result.frames, T, stride)
                    merged = frames_of(result.segments)
                    scores.append((segment_scores(truth, predicted[:len(truth)]),
                                   segment_scores(truth, merged[:len(truth)])))
                    votes += set_votes(result.starts, result.probs, truth, T, model.class_names)
            raw = {k: np.mean([s[0][k] for s in scores]) for k in scores[0][0]}
            timeline = {k: np.mean([s[1][k] for s in scores]) for k in scores[0][1]}
            name = backend if estimator is None else f"{backend}, keypoints every {every}{' in a thread' * thread}"
            name += ", frame tokens" if tokens else ", clips"
            name += f", tempo averaging {','.join(f'{f:g}' for f in averaging)}, decoding {decode}"
            print(f"{name:<14} {duration / seconds:5.2f}x real time ({duration:.0f} s of video in {seconds:.1f} s)   "
                  f"mask IoU {np.mean(ious):.3f}   "
                  f"windows: frame acc {raw['frame_accuracy']:.3f}   merged timeline: frame acc "
                  f"{timeline['frame_accuracy']:.3f}, segment acc {timeline['segment_accuracy']:.3f}, recall "
                  f"{timeline['segment_recall']:.3f}, precision {timeline['segment_precision']:.3f} "
                  f"({timeline['true_segments']:.0f} true, {timeline['predicted_segments']:.0f} predicted segments per "
                  f"video)   sets as clips: " + (f"exercise right {np.mean([v[0] for v in votes]):.3f} (majority of "
                                                     f"windows {np.mean([v[1] for v in votes]):.3f}; {len(votes)} sets)"
                                                     if votes else "no set holds a whole window"))


if __name__ == "__main__":
    run(main)
