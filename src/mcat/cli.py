"""The mcat command: one sub-command per pipeline stage, each a thin call into the library.

Every stage takes ``--params FILE`` (default ``params.yaml``), ``--preset NAME`` and ``-S key=value``;
paths default to the DVC layout (``data/...``). Errors a user can fix print one message and exit 1.
``mcat`` alone lists the stages, which of them have outputs here, and what to run next.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Callable

import yaml

from mcat import __version__
from mcat.atomic import write_text
from mcat.config import Params, load_params
from mcat.errors import McatError


def _synth(params: Params, args: argparse.Namespace) -> None:
    from mcat.synth.stage import synth

    result = synth(params.synth, args.out, workers=args.workers)
    print(result.summary)
    print(f"wrote {result.recordings} recordings, {result.frames} frames to {result.out}")


def _ingest(params: Params, args: argparse.Namespace) -> None:
    from mcat.ingest.stage import ingest

    result = ingest(params.ingest, args.out, cache=args.cache)
    print(f"{result.layout}: {result.recordings} recordings ({result.ingested} ingested, {result.skipped} unchanged), "
          f"{result.frames} frames at {params.ingest.resolution}x{params.ingest.resolution} in {result.out}")


def _masks(params: Params, args: argparse.Namespace) -> None:
    from mcat.masks.stage import generate_masks

    result = generate_masks(params.masks, args.store, args.out, source=params.ingest.source, cache=args.cache)
    print(f"{params.masks.backend}: {result.recordings} recordings ({result.generated} generated); "
          f"coverage {100 * result.coverage_mean:.1f}%, empty masks {100 * result.empty_ratio:.1f}% -> {result.out}")


def _pose(params: Params, args: argparse.Namespace) -> None:
    from mcat.pose.stage import estimate_pose

    result = estimate_pose(params.pose, args.store, args.masks, args.out, source=params.ingest.source, cache=args.cache)
    print(f"{params.pose.backend}: {result.recordings} recordings ({result.generated} generated); nobody found in "
          f"{100 * result.empty_ratio:.1f}% of frames, {100 * result.missing_joints:.1f}% of joints missing in the "
          f"others -> {result.out} (quality.csv)")


def _validate(params: Params, args: argparse.Namespace) -> None:
    from mcat.validate.stage import validate

    result = validate(params.quality, args.store, args.masks, args.reports, args.pose)
    for failure in result.failures:
        print(f"warning: {failure.line()}")
    print(f"data-quality gate passed for {result.recordings} recordings; report: {result.reports}/report.html (GX Data Docs: {result.reports}/docs/index.html)")


def _windows(params: Params, args: argparse.Namespace) -> None:
    from mcat.windows.stage import make_windows

    result = make_windows(params.windows, args.store, args.masks, args.out)
    print(result.summary)
    counts = ", ".join(f"{split} {n}" for split, n in result.windows.items())
    print(f"windows (T={params.windows.T}, stride={params.windows.stride}, crop {params.windows.crop}): {counts} -> "
          f"{result.out}")


def _train(params: Params, args: argparse.Namespace) -> None:
    if args.nproc is not None and "WORLD_SIZE" not in os.environ:
        return _train_in_processes(params, args)
    from mcat.train.distributed import world_from_env
    from mcat.train.stage import train

    result = train(params.train, args.windows, args.store, args.masks, args.out, pose=args.pose,
                   tracking=_tracking(params, args))
    if not world_from_env().main:
        return  # rank 0 reports for the distributed run
    run_id = result.run_id
    resumed = f", resumed after epoch {result.resumed_from_epoch}" if result.resumed_from_epoch else ""
    print(f"{params.train.model}-{params.train.input_mode}: best val macro-F1 {result.best_val_macro_f1:.3f} at epoch "
          f"{result.best_epoch}{resumed}; {result.clips_per_second:.1f} clips/s -> {result.model_path}"
          + (f" (MLflow run {run_id})" if run_id else ""))


def _train_in_processes(params: Params, args: argparse.Namespace) -> None:
    from mcat.data.dataset import WindowDataset
    from mcat.train.distributed import World
    from mcat.train.launch import run_torchrun
    from mcat.train.loop import check_world

    if args.nproc < 1:
        raise McatError(f"--nproc {args.nproc}: give 1 or more processes")
    check_world(params.train, World(0, args.nproc), len(WindowDataset(args.windows, "train", args.store, args.masks)))
    run_torchrun(args.nproc, args.argv)


def _evaluate(params: Params, args: argparse.Namespace) -> None:
    from mcat.evaluate.stage import evaluate

    result = evaluate(params.evaluate, args.model, args.windows, args.store, args.masks, args.reports, pose=args.pose,
                      device=params.train.device, tracking=_tracking(params, args), explain=params.explain)
    print(result.summary)
    if result.explained:
        print(result.explained)
    print(f"reports in {result.reports}" + (f"; logged to MLflow run {result.run_id}" if result.run_id else ""))


def _speedtest(params: Params, args: argparse.Namespace) -> None:
    from mcat.speedtest.stage import speedtest

    result = speedtest(params.speedtest, args.model, args.store, args.masks, args.out, pose=args.pose,
                       device=params.train.device, tracking=_tracking(params, args))
    print(result.table)
    print(f"speed curve in {result.out}" + (f"; logged to MLflow run {result.run_id}" if result.run_id else ""))


def _experiments(params: Params, args: argparse.Namespace) -> None:
    from mcat.experiments import run_experiments

    result = run_experiments(params, args.windows, args.store, args.masks, args.models, args.reports, pose=args.pose,
                             tracking=_tracking(params, args))
    print(result.markdown, end="")
    print(f"\nspeed curves (the speed test's macro-F1 per playback factor):\n{result.curves_markdown}", end="")
    print(f"tables in {result.table.parent}: table.md, curves.md (curves.png)")


def _metrics(params: Params, args: argparse.Namespace) -> None:
    from mcat.evaluate.stage import read_metrics, speed_shift_table

    print(speed_shift_table(read_metrics(args.metrics)))


def _register(params: Params, args: argparse.Namespace) -> None:
    from mcat.registry.stage import register

    result = register(params.registry, args.model, args.metrics, tracking=params.mlflow)
    if args.record:
        write_text(args.record, json.dumps(result.record(), indent=1) + "\n")
    if result.version is None:
        print(f"not registered: {'; '.join(result.refused)}")
    else:
        print(f"registered {result.name} version {result.version} as 'challenger' (run {result.run_id}); "
              f"next: mcat promote")


def _promote(params: Params, args: argparse.Namespace) -> None:
    from mcat.registry.promote import promote

    result = promote(params.registry, force=args.force)
    forced = f" (FORCED past: {'; '.join(result.failed_gates)})" if result.forced else ""
    print(f"{result.name} version {result.version} is now 'champion' (was: {result.previous or 'none'}){forced}; "
          f"serve it with: mlflow models serve -m models:/{result.name}@champion --env-manager local")


def _models(params: Params, args: argparse.Namespace) -> None:
    from mcat.registry.promote import list_versions

    print(list_versions(params.registry))


def _predict(params: Params, args: argparse.Namespace) -> None:
    from mcat.predict.stage import default_model, predict

    model = args.model
    if model is None:
        model, what = default_model(params.registry.model_name)
        print(f"mcat predict: using {model}, {what} (choose another with --model)", file=sys.stderr)

    def said(result) -> None:  # each video's line as soon as it is done
        duration = result.frames / result.fps
        scored = "" if result.scores is None else (
            f", frame accuracy {result.scores['frame_accuracy']:.3f}, segment recall "
            f"{result.scores['segment_recall']:.3f}")
        main = result.exercise
        print(f"{result.video}: mostly {main.name} (top class of {main.window_share:.0%} of "
              f"{len(result.starts)} windows, {main.active_share:.0%} exercising), {len(result.segments)} segments"
              f"{scored}, {duration / result.seconds:.2f}x real time -> {result.out}", flush=True)

    done = predict(params.predict, model, args.videos, args.out, masks=params.masks, pose=params.pose,
                   device=params.train.device, annotate=args.annotate, labels=args.labels, clip_labels=args.clip_labels,
                   on_video=said)
    if done.clips is not None:
        print(f"{done.clips.line()} -> {args.out / 'clips.json'}")


def _export(params: Params, args: argparse.Namespace) -> None:
    from mcat.export.stage import FILE_NAMES, export

    out = args.out or Path("models") / FILE_NAMES[params.export.format]
    result = export(params.export, args.model, out, args.windows, args.store, args.masks, pose=args.pose,
                    tracking=_tracking(params, args))
    checked = "" if result.agreement is None else (
        f"; the same class as the fp32 model on {100 * result.agreement:.1f}% of {result.windows} training windows")
    logged = f"; logged to MLflow run {result.run_id}" if result.run_id else ""
    print(f"{result.format}: {result.path} ({result.size_bytes / 1e6:.2f} MB){checked}{logged}\n"
          f"run it: mcat predict VIDEO --model {result.path}  (or mcat evaluate --model {result.path})")


def _explain(params: Params, args: argparse.Namespace) -> None:
    from mcat.explain.stage import explain, explain_video

    models = args.model or ["models/model.pt"]
    if args.video is None:
        result = explain(params.explain, models, args.windows, args.store, args.masks, args.out, pose=args.pose,
                         device=params.train.device)
    else:
        result = explain_video(params.explain, models, args.video, args.out, predict=params.predict,
                               masks=params.masks, pose=params.pose, device=params.train.device)
    for window in result.windows:
        said = ", ".join(f"{label} {window.predicted[label]} {window.probability[label]:.2f}" for label in result.models)
        truth = f"true {window.true}; " if window.true else ""
        print(f"{window.source} @{window.start}: {truth}predicted {said} -> {result.out / window.grid}")
    print(f"{len(result.windows)} windows, {params.explain.method} of the {params.explain.target} class for "
          f"{', '.join(result.models)}; index: {result.out / 'index.json'}")


def _pipeline(params: Params, args: argparse.Namespace) -> None:
    # The Kubeflow shell sits beside this one (src/mcat_kubeflow); the library never imports it.
    from mcat_kubeflow.cli import run_pipeline_command

    run_pipeline_command(params, args)


def _tracking(params: Params, args: argparse.Namespace):
    return None if args.no_track else params.mlflow


def _show_params(params: Params, args: argparse.Namespace) -> None:
    print(yaml.safe_dump(params.model_dump(mode="json"), sort_keys=False), end="")


# The stages in pipeline order with the output that shows each has run (the DVC layout, as in dvc.yaml).
STAGES = (("synth", "data/synthetic"), ("ingest", "data/ingested"), ("masks", "data/masks"), ("pose", "data/pose"),
          ("validate", "reports/validation"), ("windows", "data/windows"), ("train", "models/model.pt"),
          ("evaluate", "reports/metrics.json"), ("speedtest", "reports/speed/curve.json"),
          ("register", "reports/registered.json"))

EXAMPLES = {
    "": """examples:
  make demo                                   every stage on the demo preset (dvc repro), then the tests: make test
  mcat predict workout.mp4                    classify a video with the champion (or the demo's model)
  mcat train -S train.epochs=10 --no-track    one stage with an override, without MLflow
  mcat pipeline run-local --preset tiny       the Kubeflow pipeline on this machine""",
    "synth": "mcat synth\n  mcat synth --preset tiny --out /tmp/tiny -S synth.camera.portrait=0.5",
    "ingest": "mcat ingest\n  mcat ingest -S ingest.source=s3://bucket/workouts -S ingest.resolution=112",
    "masks": "mcat masks\n  mcat masks -S masks.backend=selfie",
    "pose": "mcat pose\n  mcat pose -S pose.backend=blazepose",
    "validate": "mcat validate\n  mcat validate -S quality.empty_ratio_max=0.1",
    "windows": "mcat windows\n  mcat windows -S windows.stride=4 -S windows.crop=person",
    "train": "mcat train\n  mcat train -S train.model=transformer -S train.input_mode=both -S train.augment.tempo=[0.8,3.0]\n"
             "  mcat train --nproc 2 --no-track",
    "evaluate": "mcat evaluate\n  mcat evaluate --model models/experiments/mcat-both-seed0/model.pt --reports /tmp/r",
    "speedtest": "mcat speedtest\n  mcat speedtest -S 'speedtest.factors=[1,2,4]' -S 'speedtest.splits=[val,test]'",
    "experiments": "mcat experiments\n  mcat experiments -S 'experiments.seeds=[0,1,2,3,4]'",
    "metrics": "mcat metrics\n  mcat metrics --metrics reports/experiments/mcat-both-seed0/metrics.json",
    "register": "mcat register\n  mcat register --record reports/registered.json",
    "promote": "mcat promote\n  mcat promote --force",
    "models": "mcat models\n  MLFLOW_TRACKING_URI=http://mlflow:5000 mcat models",
    "predict": "mcat predict workout.mp4\n  mcat predict videos/ --labels labels/ --annotate\n"
               "  mcat predict clip.mp4 --model models:/mcat-exercise@champion -S predict.mask_backend=yolo",
    "export": "mcat export\n  mcat export --format onnx-int8 && mcat evaluate --model models/model.int8.onnx\n"
              "  mcat export --model models:/mcat-exercise@champion --format torchscript --out /tmp/model.pt",
    "explain": "mcat explain\n  mcat explain --model models/model.pt --model models/experiments/transformer-both-seed0/model.pt "
               "-S explain.per_class=3\n  mcat explain --video workout.mp4 --model models:/mcat-exercise@champion",
    "pipeline": "mcat pipeline run-local --preset tiny\n  mcat pipeline compile\n"
                "  mcat pipeline submit --host http://localhost:8080 --run-name try-1",
    "params": "mcat params\n  mcat params --preset paper -S train.epochs=50",
}


class _Help(argparse.RawDescriptionHelpFormatter):
    """Examples kept as written; the default of every option that has one shown."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.option_strings and action.default not in (None, False, [], argparse.SUPPRESS) \
                and "default" not in text:
            text += " (default: %(default)s)"
        return text


def overview(root: Path = Path(".")) -> str:
    """The stages in order, which have outputs under ``root``, and what to run next."""
    done = [(root / out).exists() for _, out in STAGES]
    lines = ["mcat: the pipeline's stages, in order (outputs in the DVC layout of dvc.yaml):"]
    lines += [f"  {'[x]' if ok else '[ ]'} mcat {name:<11} -> {out}" for (name, out), ok in zip(STAGES, done)]
    if all(done):
        lines.append("next: mcat predict VIDEO (or mcat promote); `mcat COMMAND --help` for each stage")
    else:
        name = STAGES[done.index(False)][0]
        lines.append(f"next: mcat {name} (or `make demo` for every stage); `mcat COMMAND --help` for each stage")
    return "\n".join(lines)


def add_pose_path(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pose", type=Path, default=Path("data/pose"),
                        help="the keypoints of `mcat pose`, for the models that read them (default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--params", type=Path, default=Path("params.yaml"), help="params file (default: params.yaml)")
    common.add_argument("--preset", help="preset name (presets/NAME.yaml beside the params file) or a YAML file")
    common.add_argument("-S", "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override one parameter, e.g. -S windows.stride=4 (repeatable)")

    parser = argparse.ArgumentParser(prog="mcat", description=__doc__.splitlines()[0], epilog=EXAMPLES[""],
                                     formatter_class=_Help)
    parser.add_argument("--version", action="version", version=f"mcat {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def stage(name: str, run: Callable, help_text: str, parents: list = ()) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common, *parents], help=help_text, description=help_text,
                           epilog=f"examples:\n  {EXAMPLES[name]}", formatter_class=_Help)
        p.set_defaults(run=run)
        return p

    p = stage("synth", _synth, "render the synthetic speed-shift dataset (framewise layout)")
    p.add_argument("--out", type=Path, default=Path("data/synthetic"))
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="recordings rendered at once (default: CPU count); the output does not depend on it")
    p = stage("ingest", _ingest, "decode a dataset (ingest.source) into the frame store")
    p.add_argument("--out", type=Path, default=Path("data/ingested"))
    p.add_argument("--cache", type=Path, help="local mirror for s3:// sources (default: $MCAT_CACHE_DIR or ~/.cache/mcat)")
    p = stage("masks", _masks, "person masks per recording, their quality statistics and overlays")
    p.add_argument("--store", type=Path, default=Path("data/ingested"))
    p.add_argument("--out", type=Path, default=Path("data/masks"))
    p.add_argument("--cache", type=Path, help="local mirror for s3:// sources (as for ingest)")
    p = stage("pose", _pose, "pose keypoints per recording (the joints of mcat.pose.joints) and their quality")
    p.add_argument("--store", type=Path, default=Path("data/ingested"))
    p.add_argument("--masks", type=Path, default=Path("data/masks"))
    p.add_argument("--out", type=Path, default=Path("data/pose"))
    p.add_argument("--cache", type=Path, help="local mirror for s3:// sources (as for ingest)")
    p = stage("validate", _validate, "the data-quality gate (Great Expectations): exit 1 on a failed check")
    p.add_argument("--store", type=Path, default=Path("data/ingested"))
    p.add_argument("--masks", type=Path, default=Path("data/masks"))
    p.add_argument("--reports", type=Path, default=Path("reports/validation"))
    p.add_argument("--pose", type=Path, help="the keypoints of `mcat pose` (data/pose), gated too")
    p = stage("windows", _windows, "index sliding windows (T, stride) per split")
    p.add_argument("--store", type=Path, default=Path("data/ingested"))
    p.add_argument("--masks", type=Path, default=Path("data/masks"))
    p.add_argument("--out", type=Path, default=Path("data/windows"))
    data_paths = argparse.ArgumentParser(add_help=False)
    data_paths.add_argument("--windows", type=Path, default=Path("data/windows"))
    data_paths.add_argument("--store", type=Path, default=Path("data/ingested"))
    data_paths.add_argument("--masks", type=Path, default=Path("data/masks"))
    add_pose_path(data_paths)
    data_paths.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    p = stage("train", _train, "train the model (resumes an interrupted run); logs to MLflow", [data_paths])
    p.add_argument("--out", type=Path, default=Path("models"))
    p.add_argument("--nproc", type=int, help="train data-parallel in N processes on this machine (torchrun: one per "
                   "GPU, or CPU processes with gloo); train.batch_size stays the global batch")
    p = stage("evaluate", _evaluate, "score the model per split; slow (val) vs fast (test) gap; plots", [data_paths])
    p.add_argument("--model", type=Path, default=Path("models/model.pt"))
    p.add_argument("--reports", type=Path, default=Path("reports"))
    p = stage("speedtest", _speedtest, "the speed stress test: play a split's recordings at speedtest.factors and "
              "score the model at each speed")
    p.add_argument("--model", type=Path, default=Path("models/model.pt"))
    p.add_argument("--store", type=Path, default=Path("data/ingested"))
    p.add_argument("--masks", type=Path, default=Path("data/masks"))
    add_pose_path(p)
    p.add_argument("--out", type=Path, default=Path("reports/speed"))
    p.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    p = stage("experiments", _experiments, "train and evaluate the experiment matrix; a Table-2 style table",
              [data_paths])
    p.add_argument("--models", type=Path, default=Path("models/experiments"))
    p.add_argument("--reports", type=Path, default=Path("reports/experiments"))
    p = stage("metrics", _metrics, "print the slow (val) vs fast (test) table of an evaluation")
    p.add_argument("--metrics", type=Path, default=Path("reports/metrics.json"))
    p = stage("register", _register, "register the evaluated model in the MLflow registry as 'challenger'")
    p.add_argument("--model", type=Path, default=Path("models/model.pt"))
    p.add_argument("--metrics", type=Path, default=Path("reports/metrics.json"))
    p.add_argument("--record", type=Path, help="also write the registered name, version and run as JSON here")
    p = stage("promote", _promote, "move the 'champion' alias to the challenger if it passes the gates")
    p.add_argument("--force", action="store_true", help="promote even if a gate fails (recorded in the version's tags)")
    stage("models", _models, "list the registered model's versions, aliases and metrics")
    p = stage("predict", _predict, "classify exercises in videos: per-window CSV/JSON, segments, timeline PNG")
    p.add_argument("videos", type=Path, nargs="+", help="video files or folders of videos")
    p.add_argument("--model", default=None,
                   help="a model file or an MLflow URI such as models:/mcat-exercise@champion (default: the "
                        "registry's champion, else models/model.pt)")
    p.add_argument("--out", type=Path, default=Path("reports/predictions"))
    p.add_argument("--annotate", action="store_true", help="also write the video with the predicted exercise drawn on it")
    p.add_argument("--labels", type=Path,
                   help="the true labels: a frame,label CSV (one row per video frame, the model's class ids), or a "
                        "folder of <video name>.csv; the timeline shows them and segments.json scores against them")
    p.add_argument("--clip-labels", type=Path,
                   help="a video,exercise CSV naming the one exercise each video shows (file name or stem, and one of "
                        "the model's exercise names): scores the clips' main exercises into <out>/clips.json")
    p = stage("export", _export, "write the model as ONNX (fp32 or int8) or TorchScript for serving and the edge; "
              "predict, evaluate and speedtest take the file as --model", [data_paths])
    p.add_argument("--model", default="models/model.pt", help="a model file or an MLflow URI such as "
                   "models:/mcat-exercise@champion (default: %(default)s)")
    p.add_argument("--format", help="shorthand for -S export.format=FORMAT: onnx, onnx-int8 or torchscript")
    p.add_argument("--out", type=Path, help="the file to write (default: models/model.onnx, model.int8.onnx or "
                   "model.torchscript.pt by format)")
    p.set_defaults(shorthands={"format": "export.format"})
    p = stage("explain", _explain, "Grad-CAM maps and cross-attention weights: where one or more models look on "
              "windows of a split (explain.split) or of a video")
    p.add_argument("--windows", type=Path, default=Path("data/windows"))
    p.add_argument("--store", type=Path, default=Path("data/ingested"))
    p.add_argument("--masks", type=Path, default=Path("data/masks"))
    add_pose_path(p)
    p.add_argument("--model", action="append", help="a model file or an MLflow URI; repeat it to compare models on "
                   "the same windows (default: models/model.pt)")
    p.add_argument("--video", type=Path, help="explain this video's most confident windows instead of a split's")
    p.add_argument("--out", type=Path, default=Path("reports/explain"))
    p = stage("pipeline", _pipeline, "the Kubeflow pipeline: compile the IR YAML, submit it, or run it locally")
    p.add_argument("action", choices=["compile", "submit", "run-local"])
    p.add_argument("--package", type=Path, default=Path("reports/pipeline/mcat-training.yaml"),
                   help="the compiled pipeline (written by compile, read by submit)")
    p.add_argument("--registry", default="ghcr.io/mcat-ml/mcat",
                   help="compile: where the images are; they default to <registry>:<git sha>-cpu and -cuda")
    p.add_argument("--image", help="compile: the data stages' image (infra/docker/Dockerfile.cpu; a unique tag or "
                   "a digest: Kubeflow's cache keys on it)")
    p.add_argument("--train-image", help="compile: the training step's image (infra/docker/Dockerfile.cuda)")
    p.add_argument("--train-nodes", type=int, default=1, help="compile: train on this many nodes as a Kubeflow "
                   "Trainer TrainJob (needs --staging); 1: in one pod")
    p.add_argument("--staging", help="compile with --train-nodes: s3://BUCKET/PREFIX the TrainJob's inputs and model "
                   "pass through")
    p.add_argument("--secret", default="mcat-env", help="Kubernetes secret with MLflow/S3 env vars ('' for none)")
    p.add_argument("--host", help="submit: the Kubeflow Pipelines API URL")
    p.add_argument("--experiment", default="mcat", help="submit: the Kubeflow experiment")
    p.add_argument("--run-name", help="submit: the run's name")
    p.add_argument("--shards", type=int, help="mask shards fanned out with ParallelFor (default: masks.shards)")
    p.add_argument("--ingest-shards", type=int, help="ingest shards fanned out with ParallelFor (default: ingest.shards)")
    p.add_argument("--root", type=Path, default=Path("reports/pipeline/local"), help="run-local: outputs")
    stage("params", _show_params, "print the validated parameters after presets and overrides")
    for command in sub.choices.values():  # the paths: their defaults are the DVC layout
        for action in command._actions:
            if action.help is None and isinstance(action.default, Path):
                action.help = "(default: %(default)s)"
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    if args.command is None:
        print(overview())
        return 0
    args.argv = argv
    try:
        shorthands = [f"{key}={getattr(args, name)}" for name, key in getattr(args, "shorthands", {}).items()
                      if getattr(args, name) is not None]
        params = load_params(args.params, args.preset, [*args.overrides, *shorthands])
        args.run(params, args)
    except McatError as exc:
        print(f"mcat {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"mcat {args.command}: interrupted; completed recordings are kept and a rerun resumes", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
