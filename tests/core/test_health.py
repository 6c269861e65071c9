"""/healthz answers while the process lives; /readyz only while the database and the broker answer."""

import os
import socket

import pytest
from django.db import connections


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_probes_answer_on_any_host_name_and_over_plain_http(client, settings):
    # Kubelets probe the pod IP over HTTP: neither ALLOWED_HOSTS nor the HTTPS redirect may get in the way.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portico.example.com"]
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/", HTTP_HOST="10.1.2.3:8000").status_code == 400


@pytest.mark.django_db
def test_readyz_is_ok_with_database_and_a_real_redis_broker(client, settings):
    settings.CELERY_BROKER_URL = os.environ["PORTICO_TEST_REDIS_URL"]
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"redis://:hunter2@127.0.0.1:{closed_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("broker did not answer")
    assert "hunter2" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_readyz_is_unavailable_when_the_database_is_down_and_recovers(client, monkeypatch):
    connection = connections["default"]
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", str(closed_port()))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("database 'default' did not answer")
    assert client.get("/healthz").status_code == 200  # alive, only not ready: no restart loop

    monkeypatch.undo()
    connection.close()
    assert client.get("/readyz").status_code == 200
