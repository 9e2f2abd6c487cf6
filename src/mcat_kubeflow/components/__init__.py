"""Kubeflow Pipelines v2 components, one per stage, all in the one mcat image.

The bodies live in :mod:`.data` and :mod:`.model` as plain functions (testable as
such); :func:`build` turns them into lightweight components on a given image. The image is fixed when the
pipeline is compiled (kfp writes it into the IR; caching keys on that string, so use a unique tag or a
digest per build).
"""

from __future__ import annotations

from types import SimpleNamespace

from mcat_kubeflow.components import data, model

STAGES = {"plan_ingest_shards": data.plan_ingest_shards, "ingest_shard": data.ingest_shard,
          "gather_store": data.gather_store, "plan_mask_shards": data.plan_mask_shards, "masks_shard": data.masks_shard,
          "gather_masks": data.gather_masks, "pose_shard": data.pose_shard, "gather_pose": data.gather_pose,
          "validate": data.validate, "windows": data.windows,
          "train": model.train, "train_job": model.train_job, "evaluate": model.evaluate, "speedtest": model.speedtest,
          "register": model.register}


def build(image: str) -> SimpleNamespace:
    """Every stage as a ``kfp.dsl`` component running in ``image`` (which holds mcat and kfp)."""
    from kfp import dsl

    return SimpleNamespace(**{name: dsl.component(func, base_image=image, install_kfp_package=False)
                              for name, func in STAGES.items()})
