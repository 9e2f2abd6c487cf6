"""The images and manifests that cannot be built or applied here: linted and checked against the lock."""

import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from conftest import ROOT, _free_port, _wait_for

INFRA = ROOT / "infra"
DOCKERFILES = sorted((INFRA / "docker").glob("Dockerfile.*"))


def locked(package: str) -> str:
    return re.search(rf"^{package}==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M).group(1)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfiles_pass_hadolint_and_run_as_non_root(dockerfile):
    lint = subprocess.run([str(Path(sys.executable).with_name("hadolint")), str(dockerfile)], capture_output=True,
                          text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert re.search(r"^USER 1000$", dockerfile.read_text(), re.M)


def test_images_install_the_locked_versions():
    for name in ("Dockerfile.cpu", "Dockerfile.cuda"):
        text = (INFRA / "docker" / name).read_text()
        assert f"torch=={locked('torch')} torchvision=={locked('torchvision')}" in text
        assert "pip install -c constraints.txt -r /tmp/requirements.txt" in text and "ARG YOLO_WEIGHTS" in text
        assert "pip install --no-deps -c constraints.txt ." in text  # mcat itself, after its dependencies' layer
    assert f"mlflow[auth]=={locked('mlflow')}" in (INFRA / "docker" / "Dockerfile.mlflow").read_text()


def test_compose_and_kubernetes_manifests_hold_the_team_stack():
    compose = yaml.safe_load((INFRA / "compose" / "compose.yaml").read_text())
    assert {"postgres", "minio", "mlflow"} <= set(compose["services"])
    assert any("postgresql://" in arg for arg in compose["services"]["mlflow"]["command"])
    published = [port for service in compose["services"].values() for port in service.get("ports", [])]
    assert published and all(port.startswith("${MCAT_BIND_ADDRESS:-127.0.0.1}:") for port in published)
    auth = yaml.safe_load((INFRA / "compose" / "compose.auth.yaml").read_text())["services"]["mlflow"]
    assert "--app-name=basic-auth" in auth["command"]
    assert [a for a in auth["command"] if a != "--app-name=basic-auth"] == compose["services"]["mlflow"]["command"]
    kinds = {(d["kind"], d["metadata"]["name"]) for f in (INFRA / "k8s").glob("*.yaml")
             for d in yaml.safe_load_all(f.read_text())}
    assert {("Deployment", "mlflow"), ("Service", "mlflow"), ("Secret", "mcat-env"),
            ("PersistentVolumeClaim", "mlflow-postgres")} <= kinds
    secret = next(d for d in yaml.safe_load_all((INFRA / "k8s" / "secrets.template.yaml").read_text())
                  if d["metadata"]["name"] == "mcat-env")
    from mcat_kubeflow.dag import SECRET_ENV

    assert set(secret["stringData"]) == set(SECRET_ENV)  # the pipeline maps every key


def test_the_mlflow_manifest_answers_the_host_the_pods_use(tmp_path):
    """`mlflow server` with the manifest's own args (store and address swapped for local ones) accepts the Host
    header of the secret's MLFLOW_TRACKING_URI and still refuses other hosts."""
    [deployment] = [d for d in yaml.safe_load_all((INFRA / "k8s" / "mlflow.yaml").read_text()) if d["kind"] == "Deployment"]
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    secret = next(d for d in yaml.safe_load_all((INFRA / "k8s" / "secrets.template.yaml").read_text())
                  if d["metadata"]["name"] == "mcat-env")
    port = _free_port()
    local = {"--host": "127.0.0.1", "--port": str(port), "--backend-store-uri": f"sqlite:///{tmp_path}/mlflow.db",
             "--artifacts-destination": str(tmp_path / "artifacts")}
    command = [str(Path(sys.executable).with_name("mlflow")), *(
        f"{a.split('=')[0]}={local[a.split('=')[0]]}" if a.split("=")[0] in local else a for a in args[1:])]
    assert any(a.startswith("--allowed-hosts=") for a in command)
    proc = subprocess.Popen([*command, "--workers", "1"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for(f"{url}/health", proc, 120)

        def status(host: str) -> int:
            request = urllib.request.Request(f"{url}/api/2.0/mlflow/experiments/search?max_results=1",
                                             headers={"Host": host})
            try:
                return urllib.request.urlopen(request, timeout=10).status
            except urllib.error.HTTPError as exc:
                return exc.code

        assert status(urlparse(secret["stringData"]["MLFLOW_TRACKING_URI"]).netloc) == 200
        assert status("attacker.example:5000") == 403
    finally:
        proc.terminate()
        proc.wait(timeout=30)
