"""Against a real cluster: any cluster named by PORTICO_TEST_KUBECONFIG=path/to/kubeconfig (kind, k3d, the compose
k3s), or else the tests' local kube-apiserver (tests/realkube), so the tier always runs.

Uses namespace `portico-test` (created if missing, objects removed afterwards).
"""

import os
import uuid
from pathlib import Path

import pytest
import yaml

from clusters import probe
from clusters.kube import INGRESS, SERVICE, Kind, KubeClient
from clusters.models import Cluster
from routes import reconcile, services
from routes.domain.values import TLS, Backend
from teams.models import TeamNamespace

KUBECONFIG = os.environ.get("PORTICO_TEST_KUBECONFIG")
NAMESPACE = "portico-test"
pytestmark = [pytest.mark.cluster] + ([] if KUBECONFIG else [pytest.mark.realkube])


@pytest.fixture
def real_cluster(request, shop):
    if KUBECONFIG:
        config = yaml.safe_load(Path(KUBECONFIG).read_text())
    else:
        realkube = request.getfixturevalue("realkube")
        # Namespaces are the platform's to create; Portico's own identity (deploy/target-rbac.yaml) may not.
        realkube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        config = realkube.kubeconfig("portico")
    cluster = Cluster(
        name="real", mode="kubernetes", default_issuer=os.environ.get("PORTICO_TEST_ISSUER", "letsencrypt")
    )
    cluster.set_kubeconfig(config)
    cluster.save()
    TeamNamespace.objects.create(team=shop, cluster=cluster, namespace=NAMESPACE)
    if KUBECONFIG:
        with KubeClient.for_cluster(cluster) as client:
            namespaces = Kind("v1", "Namespace", "namespaces", namespaced=False)
            if client.get(namespaces, NAMESPACE) is None:
                client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    probe.probe_cluster(cluster.pk)
    cluster.refresh_from_db()
    return cluster


@pytest.mark.django_db
def test_route_is_applied_read_back_and_removed_on_a_real_cluster(real_cluster, submit, pat, alice):
    name = f"t{uuid.uuid4().hex[:8]}"
    route = submit(
        name,
        on=real_cluster,
        namespace=NAMESPACE,
        host=f"{name}.shop.example.com",
        backend=Backend(service_name=name, service_port=80, target_port=8080, selector={"app": name}),
        # Without cert-manager on the test cluster, an existing Secret keeps the route valid.
        tls=TLS() if real_cluster.cert_manager_present else TLS(mode="secret", secret_name=f"{name}-tls"),
    )
    services.approve_route(route, user=pat)

    assert reconcile.reconcile_route(route.pk) in (reconcile.Result.APPLIED, reconcile.Result.DEGRADED)
    with KubeClient.for_cluster(real_cluster) as client:
        assert client.get(SERVICE, name, NAMESPACE)["spec"]["selector"] == {"app": name}
        assert client.get(INGRESS, name, NAMESPACE)["metadata"]["labels"]["portico.dev/route"] == str(route.pk)
        assert reconcile.reconcile_route(route.pk) is reconcile.Result.UNCHANGED

        services.request_deletion(route, user=alice)
        assert reconcile.reconcile_route(route.pk) is reconcile.Result.DELETED
        assert client.get(INGRESS, name, NAMESPACE) is None
