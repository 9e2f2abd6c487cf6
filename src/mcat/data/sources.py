"""Where a dataset lives: a local folder, or ``s3://bucket/prefix`` mirrored into a local cache.

S3 settings come from the standard AWS environment (:mod:`mcat.data.s3`), never from params.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from mcat.data.s3 import mirror, split_s3_uri
from mcat.errors import McatError


def default_cache() -> Path:
    """``$MCAT_CACHE_DIR`` or ``~/.cache/mcat``."""
    return Path(os.environ.get("MCAT_CACHE_DIR") or Path.home() / ".cache" / "mcat")


def materialize(source: str, cache: Path | None = None, *, media: Callable[[str], bool] | None = None) -> Path:
    """A local folder holding the dataset at ``source`` (a path, or an S3 URI mirrored into ``cache``).

    Objects already in the cache with the same ETag are not downloaded again. With ``media`` (a predicate on
    paths relative to ``source``), a video or mask archive it refuses is not downloaded but left as an empty
    placeholder, so the dataset still parses: one shard of a fanned-out ingest fetches its own recordings only.
    """
    if not source.startswith("s3://"):
        root = Path(source)
        if not root.is_dir():
            raise McatError(f"dataset root {root} does not exist or is not a folder: set ingest.source "
                            "(run `mcat synth` first for the synthetic default)")
        return root
    bucket, prefix = split_s3_uri(source)
    return mirror(source, Path(cache or default_cache()) / "s3" / bucket / prefix, setting="ingest.source "
                  f"(or upload the dataset: aws s3 sync DATASET_DIR {source})", media=media)
