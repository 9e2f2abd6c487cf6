"""The ``mcat`` command: one sub-command per pipeline stage, each a thin call into the library.

Every stage takes ``--params FILE`` (default ``params.yaml``), ``--preset NAME`` and ``-S key=value``;
paths default to the DVC layout (``data/...``). Errors a user can fix print one message and exit 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable

import yaml

from mcat import __version__
from mcat.config import Params, load_params
from mcat.errors import McatError


def _synth(params: Params, args: argparse.Namespace) -> None:
    from mcat.synth.dataset import synth

    result = synth(params.synth, args.out, workers=args.workers)
    print(result.summary)
    print(f"wrote {result.recordings} recordings, {result.frames} frames to {result.out}")


def _ingest(params: Params, args: argparse.Namespace) -> None:
    from mcat.data.ingest import ingest

    result = ingest(params.ingest, args.out, cache=args.cache)
    print(f"{result.layout}: {result.recordings} recordings ({result.ingested} ingested, {result.skipped} unchanged), "
          f"{result.frames} frames at {params.ingest.resolution}x{params.ingest.resolution} in {result.out}")


def _masks(params: Params, args: argparse.Namespace) -> None:
    from mcat.masks.stage import generate_masks

    result = generate_masks(params.masks, args.store, args.out)
    print(f"{params.masks.backend}: {result.recordings} recordings ({result.generated} generated); "
          f"coverage {100 * result.coverage_mean:.1f}%, empty masks {100 * result.empty_ratio:.1f}% -> {result.out}")


def _windows(params: Params, args: argparse.Namespace) -> None:
    from mcat.data.windows import make_windows

    result = make_windows(params.windows, args.store, args.masks, args.out)
    print(result.summary)
    counts = ", ".join(f"{split} {n}" for split, n in result.windows.items())
    print(f"windows (T={params.windows.T}, stride={params.windows.stride}): {counts} -> {result.out}")


def _show_params(params: Params, args: argparse.Namespace) -> None:
    print(yaml.safe_dump(params.model_dump(mode="json"), sort_keys=False), end="")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--params", type=Path, default=Path("params.yaml"), help="params file (default: params.yaml)")
    common.add_argument("--preset", help="preset name (presets/NAME.yaml beside the params file) or a YAML file")
    common.add_argument("-S", "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override one parameter, e.g. -S windows.stride=4 (repeatable)")

    parser = argparse.ArgumentParser(prog="mcat", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mcat {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def stage(name: str, run: Callable, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(run=run)
        return p

    p = stage("synth", _synth, "render the synthetic speed-shift dataset (framewise layout)")
    p.add_argument("--out", type=Path, default=Path("data/synthetic"))
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="recordings rendered at once (default: CPU count); the output does not depend on it")
    p = stage("ingest", _ingest, "decode a dataset (ingest.source) into the frame store")
    p.add_argument("--out", type=Path, default=Path("data/ingested"))
    p.add_argument("--cache", type=Path, help="local mirror for s3:// sources (default: $MCAT_CACHE_DIR or ~/.cache/mcat)")
    p = stage("masks", _masks, "person masks per recording and their quality statistics")
    p.add_argument("--store", type=Path, default=Path("data/ingested"))
    p.add_argument("--out", type=Path, default=Path("data/masks"))
    p = stage("windows", _windows, "index sliding windows (T, stride) per split")
    p.add_argument("--store", type=Path, default=Path("data/ingested"))
    p.add_argument("--masks", type=Path, default=Path("data/masks"))
    p.add_argument("--out", type=Path, default=Path("data/windows"))
    stage("params", _show_params, "print the validated parameters after presets and overrides")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        params = load_params(args.params, args.preset, args.overrides)
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
