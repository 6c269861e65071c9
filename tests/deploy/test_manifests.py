"""deploy/ manifests are valid Kubernetes objects, and run the same image and commands as compose."""

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FILES = ["deploy/portico.yaml", "deploy/target-rbac.yaml"]


def documents(path: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all((ROOT / path).read_text()) if doc]


@pytest.mark.parametrize("version", ["1.29", "1.37"])
@pytest.mark.parametrize("path", FILES)
def test_manifests_validate_strictly(path, version):
    for doc in documents(path):
        kubernetes_validate.validate(doc, version, strict=True)


def pod_specs():
    for doc in documents("deploy/portico.yaml"):
        if doc["kind"] in ("Deployment", "Job"):
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]


def test_every_pod_runs_as_non_root_with_a_read_only_root_filesystem():
    for name, spec in pod_specs():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name


def test_secrets_come_from_a_secret_never_from_the_manifest():
    for doc in documents("deploy/portico.yaml"):
        assert doc["kind"] != "Secret"
        if doc["kind"] == "ConfigMap":
            assert not {"SECRET_KEY", "PORTICO_ENCRYPTION_KEYS", "DATABASE_URL"} & set(doc["data"])


def test_deployments_run_the_compose_image_and_commands():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    commands = {name: spec["containers"][0]["command"][:4] for name, spec in pod_specs()}
    assert commands["portico-worker"] == compose["worker"]["command"][:4]
    assert commands["portico-beat"] == compose["beat"]["command"][:4]
    assert commands["portico-web"][:2] == compose["web"]["command"][:2] == ["gunicorn", "portico.wsgi"]
    images = {spec["containers"][0]["image"] for _, spec in pod_specs()}
    assert images == {compose["web"]["image"]}


def test_web_probes_use_the_health_endpoints():
    web = dict(pod_specs())["portico-web"]["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
