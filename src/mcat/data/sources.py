"""Where a dataset lives: a local folder, or ``s3://bucket/prefix`` mirrored into a local cache.

S3 settings come from the standard AWS environment (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``, profiles), never from params. boto3 is imported
only when an ``s3://`` source is used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from mcat.atomic import atomic_file, write_text
from mcat.errors import McatError

S3_FIX = ("set AWS_ENDPOINT_URL (for MinIO or another S3-compatible store), AWS_ACCESS_KEY_ID and "
          "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE")


def default_cache() -> Path:
    """``$MCAT_CACHE_DIR`` or ``~/.cache/mcat``."""
    return Path(os.environ.get("MCAT_CACHE_DIR") or Path.home() / ".cache" / "mcat")


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` → (``bucket``, ``a/b``)."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise McatError(f"'{uri}' names no bucket: write s3://BUCKET/PREFIX")
    return bucket, prefix.strip("/")


MEDIA_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".npz"}


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
    return _mirror_s3(source, Path(cache or default_cache()) / "s3", media)


def _s3_client():
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(retries={"max_attempts": 2, "mode": "standard"},
                                            connect_timeout=5, read_timeout=60))


def _mirror_s3(uri: str, cache: Path, media: Callable[[str], bool] | None) -> Path:
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

    bucket, prefix = split_s3_uri(uri)
    local = cache / bucket / prefix
    client = _s3_client()
    endpoint = client.meta.endpoint_url
    try:
        objects = []
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/" if prefix else "")
        for page in pages:
            objects.extend(o for o in page.get("Contents", []) if not o["Key"].endswith("/"))
        if not objects:
            raise McatError(f"{uri} holds no objects: check ingest.source, or upload the dataset "
                            f"(e.g. aws s3 sync DATASET_DIR {uri})")
        etags_file = local / ".etags.json"
        etags = json.loads(etags_file.read_text()) if etags_file.is_file() else {}
        for obj in tqdm(objects, desc=f"s3 {bucket}", unit="file", disable=None):
            rel = obj["Key"][len(prefix) + 1:] if prefix else obj["Key"]
            target = local / rel
            if target.is_file() and etags.get(rel) == obj["ETag"] and target.stat().st_size == obj["Size"]:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if media is not None and Path(rel).suffix.lower() in MEDIA_SUFFIXES and not media(rel):
                target.touch()  # a placeholder: not in the ETag record, so a later full mirror fetches it
                continue
            with atomic_file(target) as tmp:
                client.download_file(bucket, obj["Key"], str(tmp))
            etags[rel] = obj["ETag"]
        write_text(etags_file, json.dumps(etags, indent=1, sort_keys=True))
    except NoCredentialsError:
        raise McatError(f"no AWS credentials to read {uri}: {S3_FIX}") from None
    except EndpointConnectionError:
        raise McatError(f"cannot reach the S3 endpoint {endpoint} to read {uri}: check AWS_ENDPOINT_URL "
                        "and that the server is up") from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchBucket", "404"):
            raise McatError(f"bucket '{bucket}' does not exist at {endpoint}: check ingest.source") from None
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"):
            raise McatError(f"S3 refused access to {uri} ({code}): {S3_FIX}") from None
        raise McatError(f"S3 error reading {uri}: {code or exc}") from None
    except BotoCoreError as exc:
        raise McatError(f"S3 error reading {uri} at {endpoint}: {exc}") from None
    return local
