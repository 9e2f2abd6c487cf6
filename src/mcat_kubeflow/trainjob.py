"""Training on more than one node: a Kubeflow Trainer ``TrainJob`` that the pipeline's ``train_job`` step creates
and waits for.

Why Trainer v2's ``TrainJob`` (``trainer.kubeflow.org/v1alpha1``) and not the Training Operator's ``PyTorchJob``:
Kubeflow ships Trainer v2 in its current releases and keeps the Training Operator (v1) for existing jobs only;
``TrainJob`` names a runtime (``torch-distributed``, installed with the Trainer) instead of a hand-written pod
template per replica, and the Trainer hands every node torchrun's settings as ``PET_NNODES``,
``PET_NPROC_PER_NODE``, ``PET_NODE_RANK``, ``PET_MASTER_ADDR`` and ``PET_MASTER_PORT``.

The step, in order:

1. the params and the windows, store, masks and pose artifacts go to ``<staging>/<job>/inputs/`` (S3);
2. it creates the TrainJob, owned by its own pod (cancel the run, and Kubernetes deletes the TrainJob);
3. each node (:mod:`mcat_kubeflow.node`) fetches the inputs and runs torchrun with one process per GPU (NCCL);
   node 0 holds global rank 0 and uploads the training folder to ``<staging>/<job>/model/``;
4. it waits for the TrainJob's ``Complete`` or ``Failed`` condition (bounded: past the timeout it deletes the
   job), then fetches the training folder into its ``model`` output.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from mcat.errors import McatError

GROUP, VERSION, PLURAL = "trainer.kubeflow.org", "v1alpha1", "trainjobs"
RUNTIME = "torch-distributed"
#: what the step asks of the Kubernetes API: infra/k8s/trainjob-rbac.yaml grants exactly this
PERMISSIONS = {("trainer.kubeflow.org", "trainjobs"): ("create", "get", "delete"), ("", "pods"): ("get",)}
SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


@dataclass(frozen=True)
class JobLayout:
    """``nodes`` machines with ``processes`` GPUs each (one training process per GPU) and the requests per node."""

    nodes: int
    processes: int
    accelerator: str = "nvidia.com/gpu"
    cpu: str = "4"
    memory: str = "16G"

    @property
    def world_size(self) -> int:
        return self.nodes * self.processes


def job_name() -> str:
    """A fresh TrainJob name (also its staging folder)."""
    return f"mcat-train-{uuid.uuid4().hex[:10]}"


def manifest(name: str, image: str, job_uri: str, layout: JobLayout, secret: str | None,
             env_keys: tuple[str, ...], owner: dict | None = None) -> dict:
    """The TrainJob: ``layout.nodes`` pods of ``image`` on the ``torch-distributed`` runtime, each running
    ``python -m mcat_kubeflow.node <job_uri>``, with ``env_keys`` from the secret (each optional)."""
    resources = {"cpu": layout.cpu, "memory": layout.memory}
    if layout.accelerator:
        resources[layout.accelerator] = str(layout.processes)
    env = [{"name": key, "valueFrom": {"secretKeyRef": {"name": secret, "key": key, "optional": True}}}
           for key in env_keys] if secret else []
    metadata = {"name": name, "labels": {"app.kubernetes.io/name": "mcat", "app.kubernetes.io/component": "train"}}
    if owner:
        metadata["ownerReferences"] = [owner]
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "TrainJob", "metadata": metadata,
            "spec": {"runtimeRef": {"apiGroup": GROUP, "kind": "ClusterTrainingRuntime", "name": RUNTIME},
                     "trainer": {"image": image, "command": ["python", "-m", "mcat_kubeflow.node", job_uri],
                                 "numNodes": layout.nodes, "numProcPerNode": layout.processes,
                                 "resourcesPerNode": {"requests": dict(resources), "limits": dict(resources)},
                                 "env": env}}}


def job_state(job: dict) -> tuple[str, str] | None:
    """(``Complete`` or ``Failed``, the condition's message) once the TrainJob has ended; None while it runs."""
    for condition in job.get("status", {}).get("conditions", []):
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return condition["type"], condition.get("message") or condition.get("reason") or ""
    return None


def stage_inputs(params_json: str, windows: Path, store: Path, masks: Path, pose: Path, job_uri: str) -> None:
    """Upload what every node trains from to ``<job_uri>/inputs/``: params.json, windows/, store/, masks/, pose/."""
    import tempfile

    from mcat.data.s3 import upload

    setting = "the staging URI (pipeline parameter train_staging)"
    with tempfile.TemporaryDirectory(prefix="mcat-job-") as folder:
        (Path(folder) / "params.json").write_text(params_json)
        upload(Path(folder), f"{job_uri}/inputs", setting=setting)
    for part, local in (("windows", windows), ("store", store), ("masks", masks), ("pose", pose)):
        upload(Path(local), f"{job_uri}/inputs/{part}", setting=setting)


def run_train_job(params_json: str, windows: Path, store: Path, masks: Path, pose: Path, out: Path, *, image: str,
                  staging: str, layout: JobLayout, secret: str | None, env_keys: tuple[str, ...],
                  timeout_s: float, poll_s: float = 30.0) -> Path:
    """Train as a TrainJob of ``layout`` and fetch its training folder into ``out``; returns the model file."""
    from mcat.config import Params
    from mcat.data.dataset import WindowDataset
    from mcat.data.s3 import mirror
    from mcat.train.distributed import World
    from mcat.train.loop import check_world

    if not staging.startswith("s3://"):
        raise McatError(f"train_staging='{staging}': multi-node training stages its inputs and model through S3; "
                        "give s3://BUCKET/PREFIX (the nodes read it with the mcat-env secret's AWS settings)")
    if layout.nodes < 1 or layout.processes < 1:
        raise McatError(f"{layout.nodes} nodes x {layout.processes} processes: give 1 or more of each")
    check_world(Params.model_validate_json(params_json).train, World(0, layout.world_size),
                len(WindowDataset(windows, "train", store, masks)))
    api, namespace = _custom_objects_api()
    name = job_name()
    job_uri = f"{staging.rstrip('/')}/{name}"
    stage_inputs(params_json, windows, store, masks, pose, job_uri)
    body = manifest(name, image, job_uri, layout, secret, env_keys, _own_pod(namespace))
    _call(lambda: api.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body), name, namespace,
          f"the cluster has no TrainJob kind ({GROUP}/{VERSION}): install Kubeflow Trainer v2, or train on one node "
          "(compile without --train-nodes)")
    print(f"created TrainJob {namespace}/{name}: {layout.nodes} nodes x {layout.processes} processes ({image})")
    state = _wait(api, name, namespace, timeout_s, poll_s)
    if state[0] == "Failed":
        raise McatError(f"TrainJob {namespace}/{name} failed: {state[1] or 'no reason given'}; the nodes' logs: "
                        f"kubectl logs -n {namespace} -l jobset.sigs.k8s.io/jobset-name={name}")
    mirror(f"{job_uri}/model", Path(out), setting=f"the staging URI {staging} (node 0 uploads the model there)")
    (Path(out) / ".etags.json").unlink()  # the mirror's record: not part of the training folder
    return Path(out) / "model.pt"


def _wait(api, name: str, namespace: str, timeout_s: float, poll_s: float) -> tuple[str, str]:
    deadline = time.monotonic() + timeout_s
    gone = f"TrainJob {namespace}/{name} was deleted while the pipeline waited for it: rerun the pipeline"
    while True:
        job = _call(lambda: api.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name), name, namespace,
                    gone)
        state = job_state(job)
        if state:
            return state
        if time.monotonic() > deadline:
            _call(lambda: api.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name), name,
                  namespace, gone)
            raise McatError(f"TrainJob {namespace}/{name} did not end within {timeout_s / 3600:.1f} h and was deleted: "
                            "raise the pipeline parameter train_timeout_h, or check that the cluster has "
                            "the GPUs the job asks for (kubectl describe pods)")
        time.sleep(poll_s)


def _custom_objects_api():
    """The Kubernetes API of the pod's own cluster (or of the local kubeconfig) and the namespace to use."""
    from kubernetes import client, config

    try:
        config.load_incluster_config()
        namespace = SERVICE_ACCOUNT_NAMESPACE.read_text().strip()
    except config.ConfigException:
        try:
            config.load_kube_config()
        except (config.ConfigException, OSError) as exc:
            raise McatError(f"no Kubernetes API to create the TrainJob on ({exc}): run the pipeline on the cluster, "
                            "or set KUBECONFIG") from None
        namespace = config.list_kube_config_contexts()[1]["context"].get("namespace", "default")
    return client.CustomObjectsApi(), namespace


def _own_pod(namespace: str) -> dict | None:
    """An owner reference to this pod (the pipeline step), so that deleting the run deletes the TrainJob too."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    name = os.environ.get("HOSTNAME")
    if not name or not SERVICE_ACCOUNT_NAMESPACE.exists():
        return None
    try:
        pod = client.CoreV1Api().read_namespaced_pod(name, namespace)
    except ApiException as exc:
        print(f"mcat pipeline: warning: cannot read this pod ({exc.status} {exc.reason}), so the TrainJob will not be "
              "deleted with the run: apply infra/k8s/trainjob-rbac.yaml")
        return None
    return {"apiVersion": "v1", "kind": "Pod", "name": name, "uid": pod.metadata.uid, "blockOwnerDeletion": False}


def _call(request, name: str, namespace: str, missing: str):
    """One Kubernetes API call; its refusals as one line with the fix (``missing``: what a 404 means)."""
    from kubernetes.client.exceptions import ApiException

    try:
        return request()
    except ApiException as exc:
        if exc.status == 404:
            raise McatError(missing) from None
        if exc.status == 403:
            raise McatError(f"the pipeline's service account may not manage TrainJobs in {namespace}: apply "
                            "infra/k8s/trainjob-rbac.yaml (edit its namespace and service account)") from None
        try:
            detail = json.loads(exc.body)["message"]
        except (TypeError, ValueError, KeyError):
            detail = exc.reason
        raise McatError(f"Kubernetes refused the request for TrainJob {namespace}/{name}: {exc.status} {detail}") \
            from None
