"""Log lines are JSON with a request id, and every reconcile line names its route and cluster."""

import io
import json
import logging

import pytest
from django.conf import settings as django_settings
from django.utils.module_loading import import_string

from core.logs import ContextFilter
from routes import tasks
from tests.reconcile.conftest import approve, kube_cluster  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """Capture log lines as the production handler writes them (settings.LOGGING's json formatter)."""
    spec = django_settings.LOGGING["formatters"]["json"]
    formatter = import_string(spec["()"])(spec["format"], rename_fields=spec["rename_fields"])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_every_reconcile_line_names_route_and_cluster(approve, kube_cluster, json_lines):
    route = approve()
    tasks.reconcile_route.apply(args=[str(route.pk)])

    lines = [line for line in json_lines() if line["logger"].startswith("routes")]
    assert lines, "the reconcile wrote no log line"
    for line in lines:
        assert line["route_id"] == str(route.pk) and line["cluster_id"] == str(kube_cluster.pk)
        assert line["task_id"] and line["level"] and line["time"]


def test_cluster_sync_lines_name_the_cluster(kube_cluster, json_lines):
    tasks.sync_cluster.apply(args=[kube_cluster.pk])
    lines = [line for line in json_lines() if line["logger"].startswith("routes")]
    assert lines and all(line["cluster_id"] == str(kube_cluster.pk) for line in lines)


def test_request_id_is_returned_and_logged(client, json_lines, alice):
    logging.getLogger("routes.test").info("outside any request")
    client.force_login(alice)

    response = client.get("/api/v1/routes/does-not-exist/", HTTP_X_REQUEST_ID="req-123")
    assert response["X-Request-ID"] == "req-123"
    generated = client.get("/healthz").get("X-Request-ID", None)
    assert generated is None  # probes answer before any middleware: no id, no log noise

    response = client.get("/login/", HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>" and len(response["X-Request-ID"]) == 32
    warnings = [line for line in json_lines() if line["logger"] == "django.request"]
    assert any(line["request_id"] == "req-123" for line in warnings)
    outside = next(line for line in json_lines() if line["message"] == "outside any request")
    assert outside["request_id"] == ""
