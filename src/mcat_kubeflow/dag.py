"""The training DAG on Kubeflow Pipelines v2::

    plan_ingest_shards ─▶ ParallelFor(shard): ingest_shard ─▶ gather_store
           ─▶ plan_mask_shards ─▶ ParallelFor(shard): masks_shard → pose_shard ─▶ gather_masks + gather_pose
           ─▶ validate
           ─▶ windows ─▶ train ─▶ evaluate ─▶ speedtest
                                     └▶ register (when the library's registration gate passes)

``train`` is one pod with N GPUs (torchrun, N processes) or, compiled with ``train_nodes`` > 1, ``train_job``: a
Kubeflow Trainer TrainJob of M nodes with N GPUs each, created and waited for by a CPU pod.

Data stages are cached (same params and inputs: reused); train, evaluate, speedtest and register always run. The pods
read the MLflow tracking URI and the S3 settings from the Kubernetes secret ``secret_name`` as env vars.
"""

from kfp import dsl, kubernetes

#: env vars the pods take from the secret (infra/k8s/secrets.template.yaml), when the secret has them
SECRET_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "AWS_ACCESS_KEY_ID",
              "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "MLFLOW_S3_ENDPOINT_URL")


def make_pipeline(image: str, secret_name: str | None = "mcat-env", train_image: str | None = None,
                  train_nodes: int = 1):
    """The pipeline function: the training step on ``train_image`` (CUDA), every other step on ``image``;
    ``secret_name=None`` leaves the env alone (the local runner). ``train_nodes`` > 1: the training step is a
    Kubeflow Trainer TrainJob over that many nodes (:mod:`mcat_kubeflow.trainjob`), with two more pipeline
    parameters: ``train_staging`` (the S3 prefix its inputs and model pass through) and ``train_timeout_h``."""
    from mcat_kubeflow.components import build

    ops = build(image)
    train_ops = build(train_image) if train_image and train_image != image else ops

    def with_env(task: dsl.PipelineTask) -> dsl.PipelineTask:
        if secret_name:
            kubernetes.use_secret_as_env(task, secret_name=secret_name,
                                         secret_key_to_env={k: k for k in SECRET_ENV}, optional=True)
        return task

    def steps(params, ingest_shards, mask_shards, train_step) -> None:
        """Every step, with ``train_step(windows, store, masks, pose)`` making the task whose ``model`` is trained."""
        plan = with_env(ops.plan_ingest_shards(params=params, shards=ingest_shards))
        with dsl.ParallelFor(plan.output, name="ingest-shards") as ingest_recordings:
            part = with_env(ops.ingest_shard(params=params, recordings=ingest_recordings))
        ingest = ops.gather_store(parts=dsl.Collected(part.outputs["store"]), shards=plan.output)
        shards = ops.plan_mask_shards(store=ingest.outputs["store"], shards=mask_shards)
        with dsl.ParallelFor(shards.output, name="mask-shards") as recordings:
            shard = with_env(ops.masks_shard(params=params, store=ingest.outputs["store"], recordings=recordings))
            keypoints = with_env(ops.pose_shard(params=params, store=ingest.outputs["store"],
                                                masks=shard.outputs["masks"], recordings=recordings))
        masks = ops.gather_masks(parts=dsl.Collected(shard.outputs["masks"]))
        pose = ops.gather_pose(parts=dsl.Collected(keypoints.outputs["pose"]))
        gate = ops.validate(params=params, store=ingest.outputs["store"], masks=masks.outputs["masks"],
                            pose=pose.outputs["pose"])
        windows = ops.windows(params=params, store=ingest.outputs["store"], masks=masks.outputs["masks"]).after(gate)
        train = train_step(windows.outputs["windows"], ingest.outputs["store"], masks.outputs["masks"],
                           pose.outputs["pose"])
        train.set_caching_options(False)
        evaluate = with_env(ops.evaluate(params=params, model=train.outputs["model"],
                                         windows=windows.outputs["windows"], store=ingest.outputs["store"],
                                         masks=masks.outputs["masks"], pose=pose.outputs["pose"]))
        evaluate.set_caching_options(False)
        with_env(ops.speedtest(params=params, model=train.outputs["model"], store=ingest.outputs["store"],
                               masks=masks.outputs["masks"], pose=pose.outputs["pose"])
                 ).after(evaluate).set_caching_options(False)
        with_env(ops.register(params=params, model=train.outputs["model"],
                              reports=evaluate.outputs["reports"])).set_caching_options(False)

    name, description = "mcat-training", "exercise recognition under execution-speed shift: data to registered model"
    if train_nodes < 2:
        @dsl.pipeline(name=name, description=description)
        def training(params: str, ingest_shards: int, mask_shards: int, train_accelerator: str = "nvidia.com/gpu",
                     train_accelerator_count: int = 1, train_cpu: str = "4", train_memory: str = "16G"):
            def in_this_pod(windows, store, masks, pose) -> dsl.PipelineTask:
                train = with_env(train_ops.train(params=params, windows=windows, store=store, masks=masks, pose=pose,
                                                 processes=train_accelerator_count))
                train.set_accelerator_type(train_accelerator).set_accelerator_limit(train_accelerator_count)
                return train.set_cpu_request(train_cpu).set_memory_request(train_memory)

            steps(params, ingest_shards, mask_shards, in_this_pod)

        return training

    @dsl.pipeline(name=name, description=description)
    def training_on_nodes(params: str, ingest_shards: int, mask_shards: int, train_staging: str,
                          train_nodes: int = train_nodes, train_accelerator: str = "nvidia.com/gpu",
                          train_accelerator_count: int = 1, train_cpu: str = "4", train_memory: str = "16G",
                          train_timeout_h: float = 72.0):
        def as_train_job(windows, store, masks, pose) -> dsl.PipelineTask:
            return with_env(ops.train_job(params=params, windows=windows, store=store, masks=masks, pose=pose,
                                          image=train_image or image, staging=train_staging, nodes=train_nodes,
                                          processes=train_accelerator_count, accelerator=train_accelerator,
                                          cpu=train_cpu, memory=train_memory, secret=secret_name or "",
                                          timeout_h=train_timeout_h))

        steps(params, ingest_shards, mask_shards, as_train_job)

    return training_on_nodes
