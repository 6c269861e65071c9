"""A directory (GitOps) cluster with Gateway API output exports HTTPRoutes instead of Ingresses and Certificates."""

import pytest
import yaml

from clusters.models import Cluster
from routes import reconcile
from routes.models import Route
from tests.reconcile.test_directory_cluster import files

pytestmark = pytest.mark.django_db


def test_approved_route_is_exported_as_an_http_route_and_synced(approved_route, cluster):
    Cluster.objects.filter(pk=cluster.pk).update(
        output="gateway", gateway_name="public", gateway_namespace="gateway-system"
    )

    assert reconcile.reconcile_route(approved_route.pk) is reconcile.Result.APPLIED

    assert files(cluster) == ["shop/httproute-cart.yaml"]
    http_route = yaml.safe_load((cluster.directory_path() / "shop/httproute-cart.yaml").read_text())
    assert http_route["spec"]["parentRefs"][0]["name"] == "public"
    route = Route.objects.get(pk=approved_route.pk)
    assert (route.sync, route.health) == ("Synced", "Healthy")
    assert reconcile.sync_cluster(cluster.pk).errors == []
    assert files(cluster) == ["shop/httproute-cart.yaml"]
