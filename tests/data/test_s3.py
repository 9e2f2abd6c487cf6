"""Ingest from a real S3 endpoint on 127.0.0.1 (moto's server in its own process), via the AWS environment."""

import uuid

import boto3
import numpy as np
import pytest

from mcat.cli import main
from mcat.ingest.stage import gather_stores, ingest, shard_dataset
from mcat.data.store import Store
from mcat.errors import McatError

from conftest import ROOT


def upload(folder, bucket, prefix):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(folder).as_posix()}")


def test_s3_ingest_equals_local_ingest_and_reuses_its_mirror(s3_env, tmp_path, tiny_dataset, tiny_store, tiny):
    bucket = f"mcat-{uuid.uuid4().hex[:8]}"
    upload(tiny_dataset, bucket, "datasets/tiny")
    source = f"s3://{bucket}/datasets/tiny"
    result = ingest(tiny.ingest.model_copy(update={"source": source}), tmp_path / "store")
    assert result.recordings == 4
    local, remote = Store(tiny_store[0]), Store(tmp_path / "store")
    for rec in local.recordings:
        np.testing.assert_array_equal(local.frames(rec.recording_id), remote.frames(rec.recording_id))
        np.testing.assert_array_equal(local.labels(rec.recording_id), remote.labels(rec.recording_id))
    index = (tmp_path / "store/recordings.csv").read_text()
    assert f"{source}/videos/train_000.mp4" in index
    mirror = tmp_path / "cache/s3" / bucket / "datasets/tiny"
    stamp = (mirror / "videos/train_000.mp4").stat().st_mtime_ns
    again = ingest(tiny.ingest.model_copy(update={"source": source}), tmp_path / "store")
    assert again.skipped == 4
    assert (mirror / "videos/train_000.mp4").stat().st_mtime_ns == stamp  # not downloaded twice


def test_empty_prefix_and_missing_bucket(s3_env, tmp_path, tiny):
    bucket = f"mcat-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    with pytest.raises(McatError, match=rf"s3://{bucket}/nothing holds no objects"):
        ingest(tiny.ingest.model_copy(update={"source": f"s3://{bucket}/nothing"}), tmp_path / "store")
    with pytest.raises(McatError, match="bucket 'no-such-bucket' does not exist"):
        ingest(tiny.ingest.model_copy(update={"source": "s3://no-such-bucket/x"}), tmp_path / "store")
    assert not (tmp_path / "store").exists()


def test_unreachable_endpoint_is_one_clear_line(s3_env, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    rc = main(["ingest", "--params", str(ROOT / "params.yaml"), "-S", "ingest.source=s3://bucket/data",
               "--out", str(tmp_path / "store")])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and "\n" not in err
    assert "cannot reach the S3 endpoint http://127.0.0.1:9" in err and "AWS_ENDPOINT_URL" in err
    assert not (tmp_path / "store").exists()


def test_sharded_ingest_fetches_its_own_videos_and_gathers_into_the_whole_store(s3_env, tmp_path, tiny_dataset,
                                                                                 tiny_store, tiny):
    bucket = f"mcat-{uuid.uuid4().hex[:8]}"
    upload(tiny_dataset, bucket, "datasets/tiny")
    params = tiny.ingest.model_copy(update={"source": f"s3://{bucket}/datasets/tiny"})
    shards = shard_dataset(params, 3)
    assert sorted(sum(shards, [])) == sorted(r.recording_id for r in Store(tiny_store[0]).recordings)
    mirror = tmp_path / "cache/s3" / bucket / "datasets/tiny"
    assert {p.stat().st_size for p in (mirror / "videos").glob("*.mp4")} == {0}  # planning fetches no video
    parts = [ingest(params, tmp_path / "part0", recordings=shards[0]).out]
    assert {p.stem for p in (mirror / "videos").glob("*.mp4") if p.stat().st_size} == set(shards[0])
    parts += [ingest(params, tmp_path / f"part{i}", recordings=shard).out for i, shard in enumerate(shards) if i]
    whole = gather_stores(parts, shards, tmp_path / "store")
    assert whole.recordings == 4
    remote = Store(tmp_path / "store")
    assert [r.recording_id for r in remote.recordings] == [r.recording_id for r in Store(tiny_store[0]).recordings]
    for rec in remote.recordings:
        np.testing.assert_array_equal(remote.frames(rec.recording_id), Store(tiny_store[0]).frames(rec.recording_id))
    with pytest.raises(McatError, match="the shards lack recordings"):
        gather_stores(parts[:1], shards, tmp_path / "partial")
    assert not (tmp_path / "partial").exists()
