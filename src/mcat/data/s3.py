"""Folders in S3: mirror a prefix into a local folder, upload a folder to a prefix, with one-line errors.

Settings come from the standard AWS environment (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``, profiles), never from params. boto3 is imported on first use.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Callable, Iterator

from tqdm import tqdm

from mcat.atomic import atomic_file, write_text
from mcat.errors import McatError

S3_FIX = ("set AWS_ENDPOINT_URL (for MinIO or another S3-compatible store), AWS_ACCESS_KEY_ID and "
          "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE")
MEDIA_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".npz"}


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` → (``bucket``, ``a/b``)."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise McatError(f"'{uri}' names no bucket: write s3://BUCKET/PREFIX")
    return bucket, prefix.strip("/")


def _client():
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(retries={"max_attempts": 2, "mode": "standard"},
                                            connect_timeout=5, read_timeout=60))


@contextlib.contextmanager
def s3_errors(uri: str, endpoint: str | None, verb: str, setting: str) -> Iterator[None]:
    """botocore's failures as one :class:`McatError` line naming ``uri`` and the ``setting`` to check."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

    try:
        yield
    except NoCredentialsError:
        raise McatError(f"no AWS credentials to {verb} {uri}: {S3_FIX}") from None
    except EndpointConnectionError:
        raise McatError(f"cannot reach the S3 endpoint {endpoint} to {verb} {uri}: check AWS_ENDPOINT_URL "
                        "and that the server is up") from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchBucket", "404"):
            raise McatError(f"bucket '{split_s3_uri(uri)[0]}' does not exist at {endpoint}: check {setting}") from None
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"):
            raise McatError(f"S3 refused access to {uri} ({code}): {S3_FIX}") from None
        raise McatError(f"S3 error to {verb} {uri}: {code or exc}") from None
    except BotoCoreError as exc:
        raise McatError(f"S3 error to {verb} {uri} at {endpoint}: {exc}") from None


def mirror(uri: str, local: Path, *, setting: str, media: Callable[[str], bool] | None = None) -> Path:
    """Download every object under ``uri`` into ``local`` (same relative paths); returns ``local``.

    Objects already there with the same ETag are not downloaded again. With ``media`` (a predicate on relative
    paths), a video or mask archive it refuses is left as an empty placeholder instead of downloaded.
    """
    bucket, prefix = split_s3_uri(uri)
    client = _client()
    with s3_errors(uri, client.meta.endpoint_url, "read", setting):
        objects = []
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/" if prefix else "")
        for page in pages:
            objects.extend(o for o in page.get("Contents", []) if not o["Key"].endswith("/"))
        if not objects:
            raise McatError(f"{uri} holds no objects: check {setting}")
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
    return local


def upload(local: Path, uri: str, *, setting: str) -> None:
    """Upload every file under the folder ``local`` to ``uri`` (same relative paths; the mirror's ETag record
    stays behind)."""
    bucket, prefix = split_s3_uri(uri)
    client = _client()
    files = [p for p in sorted(Path(local).rglob("*")) if p.is_file() and p.name != ".etags.json"]
    with s3_errors(uri, client.meta.endpoint_url, "write", setting):
        for path in tqdm(files, desc=f"s3 {bucket}", unit="file", disable=None):
            client.upload_file(str(path), bucket, "/".join(filter(None, [prefix, path.relative_to(local).as_posix()])))
