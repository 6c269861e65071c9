"""The cluster admin accepts Gateway API output with its parent Gateway, and refuses it without one."""

import pytest
from django.contrib.auth.models import User

from clusters.models import Cluster

pytestmark = pytest.mark.django_db

FORM = {"name": "edge", "mode": "directory", "ingress_class": "nginx", "default_issuer": "le", "output": "gateway"}


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", password="x"))
    return client


def test_gateway_output_without_gateway_is_refused_on_the_fields(admin_client):
    response = admin_client.post("/admin/clusters/cluster/add/", FORM)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Gateway output needs the name of the Gateway" in page and "namespace of that Gateway" in page
    assert not Cluster.objects.exists()


def test_gateway_output_with_its_gateway_is_saved(admin_client):
    response = admin_client.post(
        "/admin/clusters/cluster/add/",
        {**FORM, "gateway_name": "public", "gateway_namespace": "gateway-system", "gateway_section_name": "https"},
    )

    assert response.status_code == 302
    cluster = Cluster.objects.get(name="edge")
    assert (cluster.output, cluster.gateway_name, cluster.gateway_namespace, cluster.gateway_section_name) == (
        "gateway",
        "public",
        "gateway-system",
        "https",
    )
