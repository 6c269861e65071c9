"""Even Django's debug error page (DEBUG on, as in `make run`) never shows a cluster's credentials."""

import socket

import pytest
from django.test import RequestFactory
from django.views.debug import technical_500_response

from clusters.kube import KubeClient, KubeError
from clusters.models import Cluster

TOKEN = "tok-very-secret-0123456789"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unreachable_cluster() -> Cluster:
    """A registered cluster whose API server refuses connections (its credentials stay in this frame)."""
    cluster = Cluster(name="unreachable")
    cluster.set_kubeconfig(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "c",
            "clusters": [{"name": "t", "cluster": {"server": f"https://127.0.0.1:{closed_port()}"}}],
            "users": [{"name": "u", "user": {"token": TOKEN}}],
            "contexts": [{"name": "c", "context": {"cluster": "t", "user": "u"}}],
        }
    )
    cluster.save()
    return cluster


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_error_page_of_a_failing_kube_call_shows_no_token(settings, debug):
    settings.DEBUG = debug
    settings.PORTICO_KUBE_TIMEOUT = 1
    cluster = unreachable_cluster()
    with pytest.raises(KubeError) as raised, KubeClient.for_cluster(cluster) as client:
        client.version()
    exc_info = (raised.type, raised.value, raised.tb)

    page = technical_500_response(RequestFactory().get("/"), *exc_info).content.decode()
    assert "version" in page  # the traceback is there
    assert TOKEN not in page and f"Bearer {TOKEN}" not in page
