"""The data stages as Kubeflow component bodies: each maps kfp artifacts to a stage function of ``mcat``.

Lightweight-component rules: a body imports what it uses (kfp ships only its source to the pod) and takes
the validated params as JSON (``mcat.config.Params``; a JSON string keeps integers, a kfp dict would not).
"""

from typing import List

from kfp.dsl import HTML, Dataset, Input, Output


def plan_ingest_shards(params: str, shards: int) -> list:
    """The dataset's recording ids in at most ``shards`` groups, one ingest task each (no video is fetched)."""
    from mcat.config import Params
    from mcat.ingest.stage import shard_dataset

    return shard_dataset(Params.model_validate_json(params).ingest, shards)


def ingest_shard(params: str, recordings: list, store: Output[Dataset]):
    """One shard of ``ingest.source`` (a path in the pod or ``s3://``; credentials from the env) → a frame store
    of its recordings (only their videos are fetched)."""
    from mcat.config import Params
    from mcat.ingest.stage import ingest

    print(ingest(Params.model_validate_json(params).ingest, store.path, recordings=recordings))


def gather_store(parts: Input[List[Dataset]], shards: list, store: Output[Dataset]):
    """The shards' stores as one frame store, recordings in the dataset's order."""
    from mcat.ingest.stage import gather_stores

    print(gather_stores([p.path for p in parts], shards, store.path))


def plan_mask_shards(store: Input[Dataset], shards: int) -> list:
    """The store's recording ids in at most ``shards`` groups, one mask task each."""
    from mcat.masks.stage import shard_recordings

    return shard_recordings(store.path, shards)


def masks_shard(params: str, store: Input[Dataset], recordings: list, masks: Output[Dataset]):
    """Person masks of one shard of recordings."""
    from mcat.config import Params
    from mcat.masks.stage import generate_masks

    p = Params.model_validate_json(params)
    print(generate_masks(p.masks, store.path, masks.path, source=p.ingest.source, recordings=recordings))


def gather_masks(parts: Input[List[Dataset]], masks: Output[Dataset]):
    """The shards' masks as one folder with one quality.csv."""
    from mcat.masks.stage import gather_masks

    print(gather_masks([p.path for p in parts], masks.path))


def pose_shard(params: str, store: Input[Dataset], masks: Input[Dataset], recordings: list, pose: Output[Dataset]):
    """Pose keypoints of one shard of recordings, cropped around that shard's masks."""
    from mcat.config import Params
    from mcat.pose.stage import estimate_pose

    p = Params.model_validate_json(params)
    print(estimate_pose(p.pose, store.path, masks.path, pose.path, source=p.ingest.source, recordings=recordings))


def gather_pose(parts: Input[List[Dataset]], pose: Output[Dataset]):
    """The shards' keypoints as one folder with one quality.csv."""
    from mcat.pose.stage import gather_pose

    print(gather_pose([p.path for p in parts], pose.path))


def validate(params: str, store: Input[Dataset], masks: Input[Dataset], pose: Input[Dataset], report: Output[HTML]):
    """The data-quality gate over masks and keypoints; a failed critical expectation fails the task (and the run)."""
    import shutil
    import tempfile
    from pathlib import Path

    from mcat.config import Params
    from mcat.validate.stage import validate

    with tempfile.TemporaryDirectory() as tmp:
        try:
            print(validate(Params.model_validate_json(params).quality, store.path, masks.path, Path(tmp) / "validation",
                           pose.path))
        finally:
            if (Path(tmp) / "validation" / "docs").is_dir():
                shutil.copy(Path(tmp) / "validation" / "docs" / "index.html", report.path)


def windows(params: str, store: Input[Dataset], masks: Input[Dataset], windows: Output[Dataset]):
    """Sliding windows (T, stride) labelled by their centre frame."""
    from mcat.config import Params
    from mcat.windows.stage import make_windows

    print(make_windows(Params.model_validate_json(params).windows, store.path, masks.path, windows.path).summary)
