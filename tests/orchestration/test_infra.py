"""The images and manifests that cannot be built or applied here: linted and checked against the lock."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

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
        assert "pip install -c constraints.txt ." in text and "ARG YOLO_WEIGHTS" in text
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

    assert set(secret["stringData"]) <= set(SECRET_ENV)
