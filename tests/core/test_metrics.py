"""/metrics: task counters move when a reconcile runs; route and cluster state is read at scrape time."""

import re

import pytest

from routes import tasks
from tests.reconcile.conftest import approve, kube_cluster  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-scrape-token"


@pytest.fixture(autouse=True)
def _metrics_token(settings):
    settings.PORTICO_METRICS_TOKEN = TOKEN


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text format, 0 when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if match and match.group(1) == name:
            got = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
            if got == wanted:
                return float(match.group(3))
    return 0.0


def scrape(client) -> str:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_reconcile_moves_the_counters_and_the_route_gauges(client, approve):
    route = approve()
    before = scrape(client)
    assert sample(before, "portico_routes", health="Progressing", sync="OutOfSync") == 1

    tasks.reconcile_route.apply(args=[str(route.pk)])

    after = scrape(client)
    assert (
        sample(after, "portico_reconciles_total", result="applied")
        == sample(before, "portico_reconciles_total", result="applied") + 1
    )
    assert (
        sample(after, "portico_reconcile_duration_seconds_count", task="reconcile_route")
        == sample(before, "portico_reconcile_duration_seconds_count", task="reconcile_route") + 1
    )
    route.refresh_from_db()
    assert sample(after, "portico_routes", health=route.health, sync="Synced") == 1


def test_cluster_health_is_exported_per_check(client, kube_cluster):
    text = scrape(client)
    assert sample(text, "portico_cluster_up", cluster="real", mode="kubernetes") == 1
    for check in ("ingress_class", "cert_manager", "issuer"):
        assert sample(text, "portico_cluster_check", cluster="real", check=check) == 1


def test_pending_reviews_are_counted_across_states(client, submit, approve):
    submit("cart")
    submit("api", path="/api")
    approve("web", path="/web")
    text = scrape(client)
    assert sample(text, "portico_reviews_pending") == 2
    assert sample(text, "portico_routes", health="Unknown", sync="Unknown") == 2  # one sample per label set


def test_metrics_token_is_required_when_configured(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 200
