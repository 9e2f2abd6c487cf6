"""``mcat predict VIDEO|FOLDER``: run the mask backend ``predict.mask_backend`` (and, for a model that reads keypoints,
the pose backend ``predict.pose_backend``) and a model (a ``models:/`` or ``runs:/`` URI, or a ``model.pt``) over
new videos.

Per video, under ``<out>/<video stem>/``::

    windows.csv      window, start_frame, end_frame, start_s, end_s, class, probability
    windows.json     the same with every class's probability
    segments.json    the video's main exercise (:func:`~mcat.predict.timeline.main_exercise`) and the merged
                     timeline: class, start_s, end_s, frames, mean probability
    timeline.png     the segments as coloured bars over time, with a legend (and the truth above them, with --labels)
    annotated.mp4    (with --annotate) the video with the current exercise written on it, on the model's clock

With ``--clip-labels`` (a ``video,exercise`` CSV: the one exercise each clip shows), ``<out>/clips.csv``,
``clips.json`` and ``clips_confusion.png`` score every video's main exercise against it (:mod:`mcat.predict.clips`).

With ``--labels`` (a ``frame,label`` CSV per video: one row per video frame, label ids in the model's class order,
as in the ``framewise`` layout), ``segments.json`` also holds the true segments and the scores of the timeline
against them (frame accuracy, segment accuracy, recall and precision: :func:`~mcat.predict.timeline.segment_scores`).

Each video is decoded on the clock the model was trained on (its frame rate, e.g. 30 fps: a 60 fps video
keeps every other frame, a 24 fps one repeats some); frames go to the mask backend at their own size and, as
luminance, fitted into the model's resolution as in training (aspect ratio kept). A model that reads keypoints
also gets them from the pose backend in the same decode, each frame cropped around its mask (as ``mcat pose``
does), the keypoints put into the model's frame.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from mcat import litert
from mcat.atomic import atomic_dir
from mcat.config import MasksParams, PoseParams, PredictParams
from mcat.data.framewise import read_label_csv
from mcat.data.framing import Framing
from mcat.data.video import probe
from mcat.data.windowing import window_starts
from mcat.errors import McatError
from mcat.inference import autocast, proba_by_frames, resolve_device, scores_by_frames
from mcat.masks.backends import make_segmenter
from mcat.masks.segment import segment_video
from mcat.model_names import reads_frames, reads_pose
from mcat.modelfile import ModelFile
from mcat.pose.stage import CroppedPose, make_estimator
from mcat.predict.clips import ClipScores, read_clip_labels, score_clips
from mcat.predict.report import annotate_video, timeline_png, write_reports
from mcat.predict.timeline import (MainExercise, Segment, frame_labels, frames_of, main_exercise, merge_short, runs,
                                   segment_scores)
from mcat.registry.load import load_model

AHEAD = 2  # batches the pose thread may lag behind decoding and segmentation
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"}


@dataclass(frozen=True)
class Prediction:
    video: Path
    out: Path
    fps: float
    frames: int
    starts: np.ndarray  # [W] window start frames
    probs: np.ndarray  # [W, C]
    segments: list[Segment]
    exercise: MainExercise  # the video's one exercise, as an answer for a clip of one exercise
    seconds: float  # wall time of decoding, masks and model
    scores: dict[str, float] | None = None  # against the true labels, when given


@dataclass(frozen=True)
class Predictions:
    videos: list[Prediction]
    clips: ClipScores | None = None  # the main exercises against --clip-labels, when given


DEMO_MODEL = Path("models/model.pt")


def default_model(model_name: str) -> tuple[str, str]:
    """(reference, what it is) of the model to use when none is named: the registry's champion of
    ``model_name`` when the tracking store has one, else the model file ``make demo`` trains."""
    from mcat.tracking import connected_client, tracking_uri

    uri = tracking_uri()
    if not (uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file()):
        try:
            from mlflow.exceptions import MlflowException

            connected_client().get_model_version_by_alias(model_name, "champion")
            return f"models:/{model_name}@champion", f"the champion of the registry at {uri}"
        except McatError as exc:
            print(f"mcat predict: warning: {exc}; looking for {DEMO_MODEL} instead", file=sys.stderr)
        except MlflowException:
            pass  # no such model or no champion yet
    if DEMO_MODEL.is_file():
        return str(DEMO_MODEL), "the model `mcat train` (make demo) wrote here"
    raise McatError(f"no model to predict with: the registry at {uri} has no {model_name}@champion and there is no "
                    f"{DEMO_MODEL}; run `make demo` (it trains one) or pass --model FILE|models:/NAME@ALIAS")


def framing_of(model: ModelFile) -> Framing:
    """The clock and fit ``model`` was trained with."""
    pre = model.preprocessing
    return Framing(pre.resolution, pre.fps, pre.fit)


def find_videos(inputs: list[Path]) -> list[Path]:
    """The videos of ``inputs`` (files, and the videos in folders); each writes ``<out>/<stem>/``, so stems must
    differ."""
    videos = []
    for path in inputs:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
            if not found:
                raise McatError(f"{path} holds no video ({', '.join(sorted(VIDEO_SUFFIXES))})")
            videos.extend(found)
        elif path.exists():
            videos.append(path)
        else:
            raise McatError(f"{path} does not exist")
    stems: dict[str, Path] = {}
    for video in videos:
        if video.stem in stems:
            raise McatError(f"{stems[video.stem]} and {video} would both write {video.stem}/: rename one or predict "
                            "them in two runs with different --out")
        stems[video.stem] = video
    return videos


def find_labels(videos: list[Path], labels: Path | None) -> dict[Path, Path]:
    """The true-label CSV of each video: ``labels`` itself for a single video, ``labels/<video stem>.csv`` when
    ``labels`` is a folder; {} without labels."""
    if labels is None:
        return {}
    if labels.is_dir():
        found = {video: labels / f"{video.stem}.csv" for video in videos}
        missing = [f"{path.name} ({video.name})" for video, path in found.items() if not path.is_file()]
        if missing:
            raise McatError(f"--labels {labels} has no label file {', '.join(missing)}: one <video name>.csv per video")
        return found
    if not labels.is_file():
        raise McatError(f"--labels {labels} does not exist")
    if len(videos) != 1:
        raise McatError(f"--labels {labels} is one file for {len(videos)} videos: pass a folder holding "
                        "<video name>.csv for each video")
    return {videos[0]: labels}


def label_mismatch(rows: int, video_frames: str) -> McatError:
    """The error for a label file whose rows do not match the video's frames."""
    return McatError(f"its labels have {rows} rows but the video has {video_frames}: one label row per video frame")


def too_short(frames: int, T: int) -> McatError:
    """The error for a video with fewer frames than one window."""
    return McatError(f"it has {frames} frames, fewer than one window of {T}: mcat needs a longer video")


def pose_estimator(model: ModelFile, params: PredictParams, pose: PoseParams | None):
    """The keypoint estimator of ``params.pose_backend`` for a model that reads keypoints (with a warning when it was
    trained on another source's), else None."""
    if not reads_pose(model.input_mode):
        return None
    if pose is None:
        raise McatError(f"the model reads pose keypoints (input mode '{model.input_mode}'): give the pose settings "
                        f"(params.yaml's pose section) to compute them with {params.pose_backend}")
    trained_on = model.preprocessing.pose_backend
    if trained_on != params.pose_backend:
        print(f"mcat predict: warning: the model was trained on '{trained_on}' keypoints and predicts on "
              f"'{params.pose_backend}' keypoints; expect other accuracy than its evaluation", file=sys.stderr)
    return make_estimator(pose.model_copy(update={"backend": params.pose_backend}))


def segmenter_threads(params: PredictParams, estimator) -> int | None:
    """The LiteRT threads of the segmenter's models: half the cores when keypoints are estimated beside it in a second
    thread (``predict.pose_thread``), which keeps them all; None (every core) otherwise. On 2 cores, of the splits
    1+2, 1+1 and 2+2 (segmenter + estimator) this one read the demo's videos fastest at ``pose_every: 2``
    (docs/performance.md)."""
    return max(1, litert.cores() // 2) if estimator is not None and params.pose_thread else None


def read_video(segmenter, estimator, video: Path, framing: Framing, batch_size: int, pose_every: int = 1,
               pose_thread: bool = False, gray: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One decode of a new video on the model's clock: gray frames uint8 [N, R, R] (zeros without ``gray``, for a
    model that reads masks only, which spares converting and fitting a phone video's large frames), masks uint8
    [N, R, R] from ``segmenter`` (``batch_size`` frames a call) and, with a pose ``estimator``, keypoints float32
    [N, K, 3] in the model's frame, each frame cropped around its mask (as ``mcat pose`` does), estimated on every
    ``pose_every``-th frame and interpolated between (:class:`~mcat.pose.stage.CroppedPose`).

    With ``pose_thread`` the estimator reads each batch in a second thread while the next one is decoded and
    segmented (LiteRT, OpenCV and torch let go of Python's lock while they compute), at most ``AHEAD`` batches
    behind; the keypoints are the same."""
    def decoded(then=None) -> tuple[np.ndarray, np.ndarray]:
        frames, masks = segment_video(segmenter, video, framing, batch_size, with_gray=gray, then=then)
        return (np.zeros_like(masks) if frames is None else frames), masks

    if estimator is None:
        return *decoded(), None
    info = probe(video)
    pose = CroppedPose(estimator, framing, info.width, info.height, pose_every)
    if not pose_thread:
        return *decoded(pose.add), pose.joints()
    pending: deque[Future] = deque()

    def estimate(batch: np.ndarray, fitted: np.ndarray) -> None:
        pending.append(worker.submit(pose.add, batch, fitted))  # one worker: batches reach it in order
        while len(pending) > AHEAD:
            pending.popleft().result()  # bounded memory; the estimator's errors surface here

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mcat-pose") as worker:
        frames, masks = decoded(estimate)
        while pending:
            pending.popleft().result()
    return frames, masks, pose.joints()


def classify(model: ModelFile, frames: np.ndarray, masks: np.ndarray, batch_size: int, device: torch.device,
             joints: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Window starts int64 [W] and class probabilities float32 [W, C] over every window of the video; ``joints``
    float32 [N, K, 3]: the keypoints of its frames, for a model that reads them.

    A model with per-frame tokens (MCAT) on uncropped windows has each frame encoded once
    (:func:`~mcat.inference.proba_by_frames`), not once per window and replay that holds it (stride 8 and two
    replays: 4×). Other models, exported ones and person-cropped windows are scored from their clips."""
    pre = model.preprocessing
    T, crop, crop_joints = pre.T, pre.window_crop(), pre.joints_crop()
    starts = window_starts(len(frames), T, pre.stride)
    if not len(starts):
        raise too_short(len(frames), T)
    if pre.crop == "none" and scores_by_frames(model.model):
        arrays = (frames, masks) if joints is None else (frames, masks, joints)
        recording = (np.arange(len(starts)), starts[:, None] + np.arange(T), arrays)
        return starts, proba_by_frames(model.model, [recording], len(starts), batch_size, device)
    probs = []
    with torch.inference_mode():
        for i in range(0, len(starts), batch_size):
            batch = starts[i:i + batch_size]
            inputs = [np.stack([crop(np.stack([frames[s:s + T], masks[s:s + T]])) for s in batch])]
            if joints is not None:
                inputs.append(np.stack([crop_joints(joints[s:s + T], masks[s:s + T]) for s in batch]))
            with autocast(device):
                logits = model.model(*(torch.from_numpy(np.ascontiguousarray(x)).to(device) for x in inputs))
            probs.append(torch.softmax(logits.float(), dim=1).cpu().numpy())
    return starts, np.concatenate(probs)


def predict_video(params: PredictParams, model: ModelFile, segmenter, video: Path, out: Path, device: torch.device,
                  batch_size: int, annotate: bool = False, labels: np.ndarray | None = None,
                  estimator=None) -> Prediction:
    """One video through ``segmenter`` (``batch_size`` frames at a time), the pose ``estimator`` (for a model that
    reads keypoints) and ``model`` into ``out``; scored against ``labels`` (int [source frames], the true class of
    each video frame) when given."""
    start = time.perf_counter()
    framing = framing_of(model)
    info = probe(video)
    source_fps = info.checked_fps(video)
    fps = framing.fps or source_fps
    frames, masks, joints = read_video(segmenter, estimator, video, framing, batch_size, params.pose_every,
                                       params.pose_thread, gray=reads_frames(model.input_mode))
    truth = None
    if labels is not None:
        truth = labels[framing.positions(len(labels), source_fps)].astype(np.int64)  # on the model's clock
        if len(truth) != len(frames):  # the container announced a wrong frame count
            raise label_mismatch(len(labels), f"{len(frames)} frames on the model's clock where the labels give "
                                              f"{len(truth)}")
    starts, probs = classify(model, frames, masks, params.batch_size, device, joints)
    seconds = time.perf_counter() - start
    per_frame = frame_labels(starts, probs.argmax(axis=1), len(frames), model.preprocessing.T,
                             model.preprocessing.stride)
    segments = merge_short(runs(per_frame), int(round(params.min_segment_seconds * fps)))
    true_segments = None if truth is None else runs(truth)
    scores = None if truth is None else segment_scores(truth, frames_of(segments))
    exercise = main_exercise(probs, model.class_names)
    with atomic_dir(out) as tmp:
        write_reports(tmp, model, starts, probs, segments, exercise, fps, per_frame,
                      None if truth is None else (true_segments, scores))
        timeline_png(tmp / "timeline.png", segments, model.class_names, fps,
                     f"{video.name}: mostly {exercise.name}", true_segments)
        if annotate:
            annotate_video(video, tmp / "annotated.mp4", per_frame, model.class_names, fps, framing.step(source_fps))
    return Prediction(video, out, fps, len(frames), starts, probs, segments, exercise, seconds, scores)


def predict(params: PredictParams, model_ref: str, inputs: list[Path], out: Path, *, masks: MasksParams,
            pose: PoseParams | None = None, device: str = "auto", annotate: bool = False,
            labels: Path | None = None, clip_labels: Path | None = None,
            on_video: Callable[[Prediction], None] | None = None) -> Predictions:
    """Predict every video in ``inputs`` (files or folders) into ``out/<stem>/`` on ``device``; ``masks`` holds
    the settings of ``params.mask_backend``, ``pose`` those of ``params.pose_backend`` (for a model that reads
    keypoints); ``labels`` a label CSV, or a folder of them (:func:`find_labels`); ``clip_labels`` a
    ``video,exercise`` CSV, to score each video's main exercise (:mod:`mcat.predict.clips`); ``on_video`` is called
    with each video's prediction as soon as it is written."""
    videos = find_videos(inputs)
    label_files = find_labels(videos, labels)
    device = resolve_device(device)
    model = load_model(model_ref, device)
    truth = {video: read_label_csv(path, len(model.class_names), video.name) for video, path in label_files.items()}
    exercises = None if clip_labels is None else read_clip_labels(clip_labels, videos, model.class_names)
    for video in videos:  # every input checked before any output is written
        info = probe(video)
        frames = framing_of(model).clock_frames(info.announced, info.checked_fps(video))
        if 0 < frames < model.preprocessing.T:
            raise McatError(f"{video}: {too_short(frames, model.preprocessing.T)}")
        if video in truth and info.announced and len(truth[video]) != info.announced:
            raise McatError(f"{video}: {label_mismatch(len(truth[video]), f'{info.announced} frames')}")
    trained_on, backend = model.preprocessing.mask_backend, params.mask_backend
    if trained_on != backend:
        print(f"mcat predict: warning: the model was trained on '{trained_on}' masks and predicts on '{backend}' "
              f"masks; expect lower accuracy than its evaluation (train with -S masks.backend={backend} to match)",
              file=sys.stderr)
    estimator = pose_estimator(model, params, pose)
    segmenter = make_segmenter(masks.model_copy(update={"backend": backend}), segmenter_threads(params, estimator))
    done: list[Prediction] = []
    for video in videos:
        try:
            done.append(predict_video(params, model, segmenter, video, Path(out) / video.stem, device,
                                      masks.batch_size, annotate, truth.get(video), estimator))
            if on_video is not None:
                on_video(done[-1])
        except McatError as exc:
            kept = f" (predictions of {', '.join(str(p.video) for p in done)} are in {out})" if done else ""
            message = str(exc) if str(video) in str(exc) else f"{video}: {exc}"
            raise McatError(message + kept) from None
    if exercises is None:
        return Predictions(done)
    return Predictions(done, score_clips([exercises[p.video] for p in done], [p.exercise.label for p in done],
                                         [p.exercise.mean_probability for p in done], [p.video for p in done],
                                         model.class_names, Path(out), model_ref))
