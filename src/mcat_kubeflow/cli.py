"""``mcat pipeline compile|submit|run-local``: the CLI's hand-over to the Kubeflow shell."""

from __future__ import annotations

import argparse
import sys

from mcat.config import Params
from mcat.errors import McatError
from mcat_kubeflow import run


def run_pipeline_command(params: Params, args: argparse.Namespace) -> None:
    if args.action == "compile":
        data_image, train_image = args.image, args.train_image
        if not (data_image and train_image):  # only then the commit is needed, to tag the registry's images
            default_data, default_train = run.default_images(args.registry)
            data_image, train_image = data_image or default_data, train_image or default_train
        for problem in run.cluster_problems(params):
            print(f"mcat pipeline: warning: {problem}", file=sys.stderr)
        out = run.compile_pipeline(params, args.package, data_image, args.secret or None, train_image,
                                   args.train_nodes, args.staging)
        where = f"a TrainJob on {args.train_nodes} nodes" if args.train_nodes > 1 else "one pod"
        print(f"compiled the mcat-training pipeline (images {data_image}, training {train_image} in {where}) -> "
              f"{out}; submit it with: mcat pipeline submit --host URL")
    elif args.action == "submit":
        if not args.host:
            raise McatError("submit needs --host: the Kubeflow Pipelines API URL (e.g. http://localhost:8080)")
        arguments = shard_arguments(args)
        run_id = run.submit(args.package, args.host, args.experiment, args.run_name, arguments)
        print(f"created run {run_id} in experiment '{args.experiment}' on {args.host}")
    else:
        result = run.run_local(params, args.root, shard_arguments(args))
        registered = (f"registered version {result.registered_version}" if result.registered_version
                      else "not registered (the registration gate refused it: see the register task's output)")
        print(f"local run done: test macro-F1 {result.test_macro_f1:.3f}, {registered}; outputs under {result.root}")


def shard_arguments(args: argparse.Namespace) -> dict:
    """The pipeline arguments ``--shards`` and ``--ingest-shards`` override (none: the compiled defaults)."""
    given = {("--shards", "mask_shards"): args.shards, ("--ingest-shards", "ingest_shards"): args.ingest_shards}
    for (flag, _), value in given.items():
        if value is not None and value < 1:
            raise McatError(f"{flag} {value}: give 1 or more shards")
    return {key: value for (_, key), value in given.items() if value is not None}
