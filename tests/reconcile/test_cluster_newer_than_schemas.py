"""A cluster newer than the Kubernetes schemas Portico bundles (issue 17, "Clusters as they really are"): its
routes are checked against the newest known schemas and applied, with a warning on the cluster page, in the
clusters API, in a dry run's answer and in the route's diagnostics; a cluster older than the oldest known
schemas stays an error that says so (docs/architecture.md, "Clusters as they really are").

The cluster's version is set the way the probe stores it (``server_version``); the objects go to the local
kube-apiserver (tests/realkube), which accepts them as a newer one would.
"""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from clusters.models import Cluster
from core import kube_schemas
from routes import reconcile, services
from routes.domain.render import render_route
from routes.domain.validation import schema_warning, validate_objects
from routes.models import Route
from tests.reconcile.conftest import INGRESS
from tests.routes.domain.render_support import CLUSTER, spec, target

NEWEST = "{}.{}".format(*kube_schemas.known_versions()[-1])
OLDEST = kube_schemas.known_versions()[0]
FUTURE = f"v1.{kube_schemas.known_versions()[-1][1] + 3}.1"
FUTURE_MINOR = FUTURE[1:].rsplit(".", 1)[0]


def test_a_newer_version_validates_against_the_newest_known_schemas_with_a_warning():
    objects = render_route(target(), spec(), CLUSTER)

    assert validate_objects(objects, FUTURE_MINOR) == []
    warning = schema_warning(FUTURE_MINOR)
    assert f"Kubernetes {FUTURE_MINOR} is newer than the schemas Portico knows (up to {NEWEST})" in warning
    assert f"objects are checked against {NEWEST}" in warning


def test_a_newer_version_still_refuses_what_the_newest_schemas_refuse():
    ingress = render_route(target(), spec(), CLUSTER)[0]
    ingress["spec"]["ingressClass"] = "nginx"

    errors = validate_objects([ingress], FUTURE_MINOR)

    assert len(errors) == 1 and "ingressClass" in errors[0]


def test_known_versions_carry_no_warning():
    assert schema_warning(NEWEST) == "" and schema_warning(f"v{NEWEST}.4") == ""


@pytest.mark.parametrize("version", [f"{OLDEST[0]}.{OLDEST[1] - 1}", "1.9", "0.1"])
def test_an_older_version_than_the_oldest_known_is_an_error_saying_so(version):
    errors = validate_objects(render_route(target(), spec(), CLUSTER), version)

    assert len(errors) == 1
    assert f"Kubernetes {version}" in errors[0] and "older than the oldest schemas Portico knows" in errors[0]
    assert schema_warning(version) == ""


def test_an_unreadable_version_is_an_error():
    errors = validate_objects(render_route(target(), spec(), CLUSTER), "latest")

    assert errors and "not a version Portico can read" in errors[0]


def api_as(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def body() -> dict:
    return {
        "name": "cart",
        "team": "shop",
        "cluster": "real",
        "namespace": "shop",
        "host": "cart.shop.example.com",
        "path": "/",
        "path_type": "Prefix",
        "backend": {"service_name": "cart", "service_port": 8080},
        "tls": {"mode": "cert-manager"},
    }


@pytest.mark.django_db
def test_a_route_on_a_newer_cluster_is_accepted_applied_and_warned_about(realkube, shop, alice, pat):
    cluster = realkube.cluster(shop)
    Cluster.objects.filter(pk=cluster.pk).update(server_version=FUTURE)  # as the probe stores it
    realkube.serve("cart", port=8080)
    api = api_as(alice)

    dry = api.post("/api/v1/routes/?dry_run=true", body(), format="json")
    assert dry.status_code == 200, dry.content
    assert len(dry.json()["warnings"]) == 1 and f"Kubernetes {FUTURE_MINOR} is newer" in dry.json()["warnings"][0]

    created = api.post("/api/v1/routes/", body(), format="json")
    assert created.status_code == 201, created.content

    route = services.approve_route(Route.objects.get(pk=created.json()["id"]), user=pat)
    assert reconcile.reconcile_route(route.pk) is reconcile.Result.APPLIED
    assert realkube.get(*INGRESS, "shop", "cart")["spec"]["rules"][0]["host"] == "cart.shop.example.com"
    report = reconcile.sync_cluster(cluster.pk)
    assert report.errors == []

    route = Route.objects.get(pk=route.pk)
    assert route.applied_revision == route.approved_revision
    first = route.diagnostics[0]
    assert first["step"] == "cluster" and first["status"] == "warn"
    assert f"Kubernetes {FUTURE_MINOR} is newer than the schemas Portico knows" in first["detail"]
    status = api.get(f"/api/v1/routes/{route.pk}/status/").json()
    assert any(f"Kubernetes {FUTURE_MINOR} is newer" in step["detail"] for step in status["diagnostics"])

    health = api.get("/api/v1/clusters/real/").json()["health"]
    assert f"objects are checked against {NEWEST}" in health["schema_notice"]
    page = Client()
    page.force_login(alice)
    html = page.get("/clusters/").content.decode()
    assert f"Kubernetes {FUTURE_MINOR} is newer than the schemas Portico knows (up to {NEWEST})" in html
    assert "check-warn" in html


@pytest.mark.django_db
def test_a_route_on_a_cluster_older_than_the_schemas_is_refused_with_the_reason(realkube, shop, alice):
    cluster = realkube.cluster(shop)
    Cluster.objects.filter(pk=cluster.pk).update(server_version="v1.9.0")

    answer = api_as(alice).post("/api/v1/routes/", body(), format="json")

    assert answer.status_code == 400
    assert "older than the oldest schemas Portico knows" in str(answer.json())
    assert (
        "older than the oldest schemas" in api_as(alice).get("/api/v1/clusters/real/").json()["health"]["schema_notice"]
    )
