"""The clusters page for a cluster with Gateway API output: the Gateway check replaces IngressClass and cert-manager."""

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Cluster
from tests.web.test_clusters_page import card

pytestmark = pytest.mark.django_db


def gateway_cluster(name, **health):
    return Cluster.objects.create(
        name=name,
        mode="kubernetes",
        output="gateway",
        gateway_name="public",
        gateway_namespace="gateway-system",
        checked_at=timezone.now(),
        reachable=True,
        server_version="v1.31.2",
        **health,
    )


def test_gateway_cluster_with_its_gateway_is_healthy_and_shows_the_gateway_check(login, alice):
    gateway_cluster("edge", gateway_present=True)

    html = card(login(alice).get(reverse("clusters:list")).content.decode(), "edge")

    assert "Healthy" in html and "gateway-system/public" in html and "its listeners terminate TLS" in html
    assert html.count("check-ok") == 2 and "IngressClass" not in html and "cert-manager" not in html


def test_missing_gateway_needs_attention_and_says_what_to_fix(login, alice):
    gateway_cluster("edge", gateway_present=False)

    html = card(login(alice).get(reverse("clusters:list")).content.decode(), "edge")

    assert "Needs attention" in html and "check-fail" in html
    assert "kubectl get gateways -A" in html
