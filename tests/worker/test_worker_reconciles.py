"""A real worker on a real Redis broker turns an approval into objects on the local kube-apiserver (tests/realkube).

The worker is its own process, whose requests the test's request log does not see: what it wrote is read from
the objects (their managedFields name who wrote what, and how)."""

import pytest

from routes import services
from routes.models import Route
from tests.reconcile.conftest import INGRESS
from tests.worker.conftest import wait_for

pytestmark = pytest.mark.worker


@pytest.fixture
def real_cluster(realkube, shop):
    return realkube.cluster(shop)


@pytest.mark.django_db(transaction=True)
def test_approval_is_applied_by_a_worker_and_the_route_becomes_synced(
    start_worker, submit, pat, realkube, real_cluster
):
    start_worker()
    route = submit(on=real_cluster)

    services.approve_route(route, user=pat)

    synced = wait_for(lambda: Route.objects.filter(pk=route.pk, sync="Synced", applied_revision=1).first())
    assert synced.health in ("Progressing", "Degraded")  # no pod serves the Service, no controller runs here
    ingress = realkube.get(*INGRESS, "shop", "cart")
    assert ingress["metadata"]["labels"]["portico.dev/route"] == str(route.pk)
    assert [(m["manager"], m["operation"]) for m in ingress["metadata"]["managedFields"]] == [("portico", "Apply")]


@pytest.mark.django_db(transaction=True)
def test_deletion_is_carried_out_by_a_worker(start_worker, submit, pat, alice, realkube, real_cluster):
    start_worker()
    route = services.approve_route(submit(on=real_cluster), user=pat)
    wait_for(lambda: realkube.get(*INGRESS, "shop", "cart"))

    services.request_deletion(route, user=alice)

    wait_for(lambda: Route.objects.filter(pk=route.pk, deleted_at__isnull=False).exists())
    assert realkube.get(*INGRESS, "shop", "cart") is None
