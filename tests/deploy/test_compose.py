"""docker-compose.yml parses, and its services, commands and environment agree with the settings module."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
PORTICO_SERVICES = ["migrate", "web", "worker", "beat", "register-cluster"]


def environment(service: str) -> dict:
    return {key: str(value) for key, value in SERVICES[service]["environment"].items()}


def resolved(env: dict) -> dict:
    """Compose's ${NAME:?msg} and ${NAME:-default}, with test values for the required ones."""

    def value(match):
        name, op, rest = match.group(1), match.group(2), match.group(3)
        return rest if op == ":-" else f"test-value-for-{name.lower()}"

    return {key: re.sub(r"\$\{(\w+)(:[?-])([^}]*)\}", value, text) for key, text in env.items()}


def test_compose_has_the_whole_stack():
    assert {"postgres", "redis", "web", "worker", "beat", "k3s", "migrate", "register-cluster"} <= set(SERVICES)
    for name in PORTICO_SERVICES:
        assert SERVICES[name]["build"] == "."
    assert (ROOT / "Dockerfile").is_file()


def test_every_environment_variable_is_read_by_settings_and_documented():
    settings_source = (ROOT / "portico" / "settings.py").read_text()
    readme = (ROOT / "README.md").read_text()
    names = {key for service in PORTICO_SERVICES for key in environment(service)}
    for name in names:
        assert f'"{name}"' in settings_source or f"{name}=" in settings_source, f"settings never read {name}"
        assert f"`{name}`" in readme, f"README does not document {name}"


def test_settings_load_with_the_compose_environment():
    env = {**resolved(environment("worker")), "PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "portico.settings"}
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'db': s.DATABASES['default']['HOST'], 'engine': s.DATABASES['default']['ENGINE'], "
        "'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, "
        "'metrics_port': s.PORTICO_WORKER_METRICS_PORT, 'log': s.LOG_FORMAT}))"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert loaded == {
        "db": "postgres",
        "engine": "django.db.backends.postgresql",
        "broker": "redis://redis:6379/0",
        "debug": False,
        "hosts": ["localhost", "127.0.0.1"],
        "metrics_port": 9808,
        "log": "json",
    }


def test_commands_name_modules_that_exist():
    assert SERVICES["web"]["command"][:2] == ["gunicorn", "portico.wsgi"] and (ROOT / "portico" / "wsgi.py").is_file()
    for name in ("worker", "beat"):
        assert (
            SERVICES[name]["command"][:3] == ["celery", "-A", "portico"] and (ROOT / "portico" / "celery.py").is_file()
        )
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    register = " ".join(SERVICES["register-cluster"]["command"])
    assert "manage.py add_cluster k3s --kubeconfig /k3s/kubeconfig.yaml --server https://k3s:6443" in register


def test_k3s_gets_cert_manager_from_its_manifests_folder():
    mounts = SERVICES["k3s"]["volumes"]
    source = next(m.split(":")[0] for m in mounts if "/server/manifests/" in m)
    docs = [d for d in yaml.safe_load_all((ROOT / source).read_text()) if d]
    assert {d["kind"] for d in docs} >= {"HelmChart", "ClusterIssuer"}
    issuer = next(d for d in docs if d["kind"] == "ClusterIssuer")["metadata"]["name"]
    assert f"--issuer {issuer}" in " ".join(SERVICES["register-cluster"]["command"])


def test_images_are_pinned():
    for name, service in SERVICES.items():
        image = service.get("image", "")
        assert image and ":" in image and not image.endswith(":latest"), name
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11\.\d+-slim", dockerfile, re.MULTILINE)
    assert re.search(r"^USER 10001", dockerfile, re.MULTILINE)
