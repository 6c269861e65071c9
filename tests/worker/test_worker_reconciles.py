"""A real worker on a real Redis broker turns an approval into objects on the (emulated) cluster."""
import pytest

from clusters.models import Cluster
from portal.models import TeamNamespace
from routes import services
from routes.models import Route
from tests.reconcile.conftest import INGRESS, seed_cluster_addons
from tests.worker.conftest import wait_for

pytestmark = pytest.mark.worker


@pytest.fixture
def emulated_cluster(kube, kube_kubeconfig, shop):
    seed_cluster_addons(kube)
    cluster = Cluster(name="kind", mode="kubernetes")
    cluster.set_kubeconfig(kube_kubeconfig)
    cluster.save()
    TeamNamespace.objects.create(team=shop, cluster=cluster, namespace="shop")
    return cluster


@pytest.mark.django_db(transaction=True)
def test_approval_is_applied_by_a_worker_and_the_route_becomes_synced(start_worker, submit, pat, kube, emulated_cluster):
    start_worker()
    route = submit(on=emulated_cluster)

    services.approve_route(route, user=pat)

    synced = wait_for(lambda: Route.objects.filter(pk=route.pk, sync="Synced", applied_revision=1).first())
    assert synced.health in ("Progressing", "Degraded")  # nothing serves the Service on the emulator
    assert kube.get(*INGRESS, "shop", "cart")["metadata"]["labels"]["portico.dev/route"] == str(route.pk)
    assert all(w.query.get("fieldManager") == "portico" for w in kube.writes())


@pytest.mark.django_db(transaction=True)
def test_deletion_is_carried_out_by_a_worker(start_worker, submit, pat, alice, kube, emulated_cluster):
    start_worker()
    route = services.approve_route(submit(on=emulated_cluster), user=pat)
    wait_for(lambda: kube.get(*INGRESS, "shop", "cart"))

    services.request_deletion(route, user=alice)

    wait_for(lambda: Route.objects.filter(pk=route.pk, deleted_at__isnull=False).exists())
    assert kube.get(*INGRESS, "shop", "cart") is None
