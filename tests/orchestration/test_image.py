"""The CPU image, built here with buildah from local parts (infra/docker/build-local.sh: a debootstrap base and the
real Dockerfile.cpu), runs a pipeline component the way a Kubeflow pod does: the command and arguments kfp
compiled for it, an executor input, user 1000. Skipped only where buildah is missing."""

import json
import os
import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT, tiny_params, with_source
from mcat.ingest.stage import shard_dataset
from mcat_kubeflow.run import compile_pipeline

pytestmark = pytest.mark.skipif(shutil.which("buildah") is None or os.geteuid() != 0,
                                reason="needs buildah and debootstrap, as root: apt-get install buildah debootstrap")
TAG = "localhost/mcat:test-cpu"


def buildah(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["buildah", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_the_cpu_image_runs_a_compiled_component(tiny_dataset, tmp_path):
    # PyPI's torch: the CPU index of the Dockerfile's default is out of reach from this machine
    build = subprocess.run(["bash", str(ROOT / "infra" / "docker" / "build-local.sh"), "cpu", TAG], cwd=ROOT,
                           env={**os.environ, "TORCH_INDEX": "https://pypi.org/simple"}, capture_output=True,
                           text=True, timeout=3600)
    assert build.returncode == 0, build.stderr[-3000:]

    params = with_source(tiny_params(), "/data")
    ir = next(yaml.safe_load_all(compile_pipeline(params, tmp_path / "pipeline.yaml", TAG, None).read_text()))
    container = ir["deploymentSpec"]["executors"]["exec-plan-ingest-shards"]["container"]
    assert container["image"] == TAG
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)  # the component runs as user 1000
    executor_input = {"inputs": {"parameterValues": {"params": params.model_dump_json(), "shards": 2}},
                      "outputs": {"parameters": {"Output": {"outputFile": "/out/Output"}},
                                  "outputFile": "/out/executor_output.json"}}
    args = [arg.replace("{{$}}", json.dumps(executor_input)) for arg in container["args"]]
    ctr = buildah("from", "--quiet", TAG).stdout.strip()
    try:
        run = buildah("run", "--isolation", "chroot", "--user", "1000", "-v", f"{tiny_dataset}:/data:ro",
                      "-v", f"{out}:/out", ctr, "--", *container["command"], *args)
        torch = buildah("run", "--isolation", "chroot", "--user", "1000", ctr, "--", "python", "-c",
                        "import cv2, torch, mcat.models; print(torch.__version__, torch.get_num_threads() > 0)")
    finally:
        buildah("rm", ctr)
    assert run.returncode == 0, run.stderr[-3000:]
    shards = json.loads((out / "executor_output.json").read_text())["parameterValues"]["Output"]
    [everything] = shard_dataset(with_source(tiny_params(), tiny_dataset).ingest, 1)  # the same plan, here
    assert len(shards) == 2 and sorted(sum(shards, [])) == sorted(everything)
    version, threads = torch.stdout.split()
    assert torch.returncode == 0 and version.startswith("2.14.1") and threads == "True", torch.stderr[-2000:]
