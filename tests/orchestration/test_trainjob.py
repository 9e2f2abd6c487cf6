"""Multi-node training as a Kubeflow Trainer TrainJob: the manifest and its RBAC, the compiled pipeline, and two
nodes on 127.0.0.1 (torchrun's static rendezvous, gloo) that train one model through a real S3 endpoint."""

import csv
import os
import subprocess
import sys
import uuid

import boto3
import pytest
import yaml
from mlflow.tracking import MlflowClient

from conftest import ROOT, _free_port, tiny_params
from mcat.cli import main
from mcat.data.s3 import mirror
from mcat.errors import McatError
from mcat.modelfile import load_model_file
from mcat_kubeflow.dag import SECRET_ENV
from mcat_kubeflow.node import main as node_main
from mcat_kubeflow.trainjob import PERMISSIONS, JobLayout, job_state, manifest, run_train_job, stage_inputs


def test_the_manifest_asks_the_trainer_for_nodes_gpus_and_the_secret_and_the_role_grants_what_the_step_calls():
    layout = JobLayout(nodes=3, processes=4, accelerator="nvidia.com/gpu", cpu="8", memory="32G")
    owner = {"apiVersion": "v1", "kind": "Pod", "name": "step", "uid": "u-1", "blockOwnerDeletion": False}
    job = manifest("mcat-train-x", "reg/mcat:abc-cuda", "s3://b/p/mcat-train-x", layout, "mcat-env", SECRET_ENV, owner)
    assert (job["apiVersion"], job["kind"]) == ("trainer.kubeflow.org/v1alpha1", "TrainJob")
    assert job["metadata"]["ownerReferences"] == [owner]
    assert job["spec"]["runtimeRef"] == {"apiGroup": "trainer.kubeflow.org", "kind": "ClusterTrainingRuntime",
                                         "name": "torch-distributed"}
    trainer = job["spec"]["trainer"]
    assert trainer["command"] == ["python", "-m", "mcat_kubeflow.node", "s3://b/p/mcat-train-x"]
    assert (trainer["numNodes"], trainer["numProcPerNode"], trainer["image"]) == (3, 4, "reg/mcat:abc-cuda")
    assert trainer["resourcesPerNode"]["limits"] == {"cpu": "8", "memory": "32G", "nvidia.com/gpu": "4"}
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in trainer["env"]}
    assert set(refs) == set(SECRET_ENV) and all(r["name"] == "mcat-env" and r["optional"] for r in refs.values())
    assert manifest("j", "i", "s3://b/j", layout, None, SECRET_ENV)["spec"]["trainer"]["env"] == []

    docs = list(yaml.safe_load_all((ROOT / "infra" / "k8s" / "trainjob-rbac.yaml").read_text()))
    [role] = [d for d in docs if d["kind"] == "Role"]
    [binding] = [d for d in docs if d["kind"] == "RoleBinding"]
    granted = {(group, resource): tuple(rule["verbs"]) for rule in role["rules"] for group in rule["apiGroups"]
               for resource in rule["resources"]}
    assert granted == PERMISSIONS
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"][0]["namespace"] == role["metadata"]["namespace"]


@pytest.mark.parametrize("conditions, state", [
    ([], None),
    ([{"type": "Created", "status": "True"}], None),
    ([{"type": "Complete", "status": "False"}], None),
    ([{"type": "Created", "status": "True"}, {"type": "Complete", "status": "True", "message": "done"}],
     ("Complete", "done")),
    ([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}], ("Failed", "BackoffLimitExceeded")),
])
def test_the_step_reads_whether_the_train_job_ended_from_its_conditions(conditions, state):
    assert job_state({"status": {"conditions": conditions}}) == state


def test_compiled_for_nodes_the_training_step_is_a_train_job_on_the_data_image(tmp_path, capsys):
    package = tmp_path / "pipeline.yaml"
    assert main(["pipeline", "compile", "--preset", "tiny", "--package", str(package), "--train-nodes", "3",
                 "--staging", "s3://mcat/trainjobs", "--image", "reg/mcat:abc-cpu", "--train-image",
                 "reg/mcat:abc-cuda"]) == 0
    assert "training reg/mcat:abc-cuda in a TrainJob on 3 nodes" in capsys.readouterr().out
    ir, platform = yaml.safe_load_all(package.read_text())
    defaults = ir["root"]["inputDefinitions"]["parameters"]
    assert defaults["train_nodes"]["defaultValue"] == 3 and defaults["train_staging"]["defaultValue"] == \
        "s3://mcat/trainjobs"
    tasks = ir["root"]["dag"]["tasks"]
    assert "train" not in tasks and tasks["train-job"]["componentRef"]["name"] == "comp-train-job"
    inputs = tasks["train-job"]["inputs"]["parameters"]
    assert inputs["image"]["runtimeValue"]["constant"] == "reg/mcat:abc-cuda"  # the nodes train on the CUDA image
    assert inputs["nodes"]["componentInputParameter"] == "train_nodes"
    assert inputs["processes"]["componentInputParameter"] == "train_accelerator_count"
    assert inputs["secret"]["runtimeValue"]["constant"] == "mcat-env"
    launcher = ir["deploymentSpec"]["executors"]["exec-train-job"]["container"]
    assert launcher["image"] == "reg/mcat:abc-cpu" and "resources" not in launcher  # waits on a CPU, asks no GPU
    assert "exec-train-job" in platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    assert tasks["evaluate"]["inputs"]["artifacts"]["model"]["taskOutputArtifact"]["producerTask"] == "train-job"

    for extra, message in ((["--staging", "data/staging"], "needs --staging s3://"), ([], "needs --staging s3://"),
                           (["--train-nodes", "0"], "give 1 or more nodes")):
        nodes = [] if "--train-nodes" in extra else ["--train-nodes", "2"]
        assert main(["pipeline", "compile", "--preset", "tiny", "--package", str(tmp_path / "x.yaml"),
                     *nodes, *extra]) == 1
        assert message in capsys.readouterr().err
    assert not (tmp_path / "x.yaml").exists()


def test_two_nodes_train_one_model_through_s3(tiny_windows, tiny_pose, s3_env, mlflow_env, tmp_path):
    """What the TrainJob's pods do, here: two `python -m mcat_kubeflow.node` with the PET_* settings the Trainer
    gives, one process each (gloo); node 0 uploads the one model, the step fetches it. The model reads keypoints
    too, so every input the nodes need travels."""
    boto3.client("s3").create_bucket(Bucket="staging")
    job_uri = f"s3://staging/jobs/mcat-train-{uuid.uuid4().hex[:6]}"
    experiment = f"nodes-{uuid.uuid4().hex[:6]}"
    params = tiny_params("train.epochs=2", "train.input_mode=both+pose", f"mlflow.experiment={experiment}")
    stage_inputs(params.model_dump_json(), *tiny_windows, tiny_pose, job_uri)
    port = str(_free_port())
    nodes = [subprocess.Popen([sys.executable, "-m", "mcat_kubeflow.node", job_uri, "--work", str(tmp_path / f"n{r}")],
                              env={**os.environ, "PET_NNODES": "2", "PET_NPROC_PER_NODE": "1", "PET_NODE_RANK": str(r),
                                   "PET_MASTER_ADDR": "127.0.0.1", "PET_MASTER_PORT": port, "OMP_NUM_THREADS": "1"},
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for r in (0, 1)]
    outputs = [node.communicate(timeout=600) for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], outputs[0][1][-2000:] + outputs[1][1][-2000:]
    assert "uploaded the training folder" in outputs[0][0] and "uploaded" not in outputs[1][0]

    fetched = mirror(f"{job_uri}/model", tmp_path / "model", setting="test")
    model = load_model_file(fetched / "model.pt")
    with open(fetched / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    train_windows = sum(1 for _ in open(tiny_windows[0] / "train.csv")) - 1
    assert [int(r["train_clips"]) for r in rows] == [train_windows, train_windows]  # both nodes' halves, summed
    client = MlflowClient(mlflow_env)
    [run] = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    assert run.info.status == "FINISHED" and model.meta["mlflow_run_id"] == run.info.run_id
    assert model.input_mode == "both+pose"
    assert not (tmp_path / "n1" / "model" / "model.pt").exists()  # rank 0 alone writes


def test_bad_launches_are_one_line_and_write_nothing(tiny_windows, tiny_pose, s3_env, tmp_path, monkeypatch, capsys):
    json = tiny_params().model_dump_json()
    layout = JobLayout(nodes=2, processes=1)
    common = dict(image="i", layout=layout, secret=None, env_keys=SECRET_ENV, timeout_s=60)
    with pytest.raises(McatError, match="multi-node training stages its inputs and model through S3"):
        run_train_job(json, *tiny_windows, tiny_pose, tmp_path / "out", staging="/shared/staging", **common)
    with pytest.raises(McatError, match=r"does not split over 6 processes"):
        run_train_job(json, *tiny_windows, tiny_pose, tmp_path / "out", staging="s3://staging/jobs",
                      **{**common, "layout": JobLayout(nodes=3, processes=2)})
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    boto3.client("s3").create_bucket(Bucket="untouched")
    with pytest.raises(McatError, match="no Kubernetes API to create the TrainJob on"):
        run_train_job(json, *tiny_windows, tiny_pose, tmp_path / "out", staging="s3://untouched/jobs", **common)
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket="untouched")  # nothing staged
    assert not (tmp_path / "out").exists()

    monkeypatch.delenv("PET_NNODES", raising=False)
    assert node_main(["s3://untouched/jobs/x", "--work", str(tmp_path / "node")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("mcat node: error: PET_NNODES") and "\n" not in err
    monkeypatch.setenv("PET_NNODES", "2")
    monkeypatch.setenv("PET_NPROC_PER_NODE", "auto")
    for key, value in (("PET_NODE_RANK", "0"), ("PET_MASTER_ADDR", "h"), ("PET_MASTER_PORT", "1")):
        monkeypatch.setenv(key, value)
    assert node_main(["s3://untouched/jobs/x"]) == 1
    assert "numProcPerNode" in capsys.readouterr().err
    monkeypatch.setenv("PET_NPROC_PER_NODE", "1")
    assert node_main(["s3://untouched/jobs/x", "--work", str(tmp_path / "node")]) == 1
    assert "s3://untouched/jobs/x/inputs holds no objects" in capsys.readouterr().err
