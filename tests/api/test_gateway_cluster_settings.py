"""A cluster with Gateway API output through the API: it names the parent Gateway its HTTPRoutes attach to."""

import pytest

from clusters.models import Cluster

pytestmark = pytest.mark.django_db


def test_gateway_output_without_a_gateway_is_a_field_error(api, pat):
    response = api(pat).post(
        "/api/v1/clusters/", {"name": "edge", "mode": "directory", "output": "gateway"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"gateway_name", "gateway_namespace"}
    assert "Gateway output needs the name of the Gateway" in body["gateway_name"][0]
    assert not Cluster.objects.filter(name="edge").exists()


def test_gateway_cluster_is_created_and_returns_its_gateway_reference_and_check(api, pat):
    body = {
        "name": "edge",
        "mode": "directory",
        "output": "gateway",
        "gateway_name": "public",
        "gateway_namespace": "gateway-system",
        "gateway_section_name": "https",
    }

    response = api(pat).post("/api/v1/clusters/", body, format="json")

    assert response.status_code == 201, response.json()
    data = api(pat).get("/api/v1/clusters/edge/").json()
    assert {k: data[k] for k in body} == body
    assert data["health"]["gateway_present"] is None


def test_switching_an_existing_cluster_to_gateway_output_needs_the_gateway(api, pat, cluster):
    client = api(pat)

    refused = client.patch("/api/v1/clusters/prod-eu/", {"output": "gateway"}, format="json")
    accepted = client.patch(
        "/api/v1/clusters/prod-eu/",
        {"output": "gateway", "gateway_name": "public", "gateway_namespace": "gateway-system"},
        format="json",
    )

    assert refused.status_code == 400 and "gateway_name" in refused.json()
    assert accepted.status_code == 200
    assert Cluster.objects.get(name="prod-eu").gateway_name == "public"


def test_gateway_names_must_be_kubernetes_names(api, pat):
    body = {
        "name": "edge",
        "mode": "directory",
        "output": "gateway",
        "gateway_name": "Public_GW",
        "gateway_namespace": "gateway-system",
    }

    response = api(pat).post("/api/v1/clusters/", body, format="json")

    assert response.status_code == 400 and "gateway_name" in response.json()
