"""The sync lease on the local kube-apiserver (tests/realkube): a sync longer than its lease renews it between
its objects, so a second worker does not start the same cluster, and one that lost it writes nothing more."""

import pytest

from clusters import lease
from clusters.models import Cluster
from routes import reconcile
from tests.reconcile.conftest import INGRESS

pytestmark = pytest.mark.django_db


def test_a_drift_repair_longer_than_the_lease_keeps_it_and_a_second_worker_does_not_start(
    approve, realkube, kube_cluster, monkeypatch, settings
):
    """Each repair takes 25 s of the sync's clock (a slow API server at its rate limit): four repairs outlast the
    60 s lease. The sync renews it between repairs, and a second worker asking meanwhile is skipped."""
    from clusters.kube import KubeClient

    settings.PORTICO_SYNC_INTERVAL = 30  # a 60 s lease, renewed after 20 s
    routes = [approve(f"r{i}", host=f"r{i}.shop.example.com") for i in range(4)]
    reconcile.sync_cluster(kube_cluster.pk)
    for route in routes:
        realkube.patch_out_of_band(*INGRESS, "shop", route.name, {"spec": {"ingressClassName": "traefik"}})
    now = [0.0]
    monkeypatch.setattr(lease, "monotonic", lambda: now[0])
    apply = KubeClient.apply
    leases, second = [], []

    def slow_apply(self, obj, **kwargs):
        now[0] += 25.0
        leases.append(Cluster.objects.get(pk=kube_cluster.pk).sync_lease_until)
        second.append(reconcile.sync_cluster(kube_cluster.pk).skipped)
        return apply(self, obj, **kwargs)

    monkeypatch.setattr(KubeClient, "apply", slow_apply)

    report = reconcile.sync_cluster(kube_cluster.pk)

    assert report.applied == 4 and not report.errors
    assert second == [True, True, True, True]
    assert leases == sorted(leases) and leases[-1] > leases[0]  # renewed while it ran


def test_a_sync_that_lost_its_lease_writes_nothing_more(approve, realkube, kube_cluster, monkeypatch, settings):
    from clusters.kube import KubeClient

    settings.PORTICO_SYNC_INTERVAL = 30
    routes = [approve(f"r{i}", host=f"r{i}.shop.example.com") for i in range(3)]
    reconcile.sync_cluster(kube_cluster.pk)
    for route in routes:
        realkube.patch_out_of_band(*INGRESS, "shop", route.name, {"spec": {"ingressClassName": "traefik"}})
    now = [0.0]
    monkeypatch.setattr(lease, "monotonic", lambda: now[0])
    apply = KubeClient.apply

    def apply_then_taken_over(self, obj, **kwargs):
        now[0] += 25.0
        Cluster.objects.filter(pk=kube_cluster.pk).update(sync_lease_owner="another-worker")
        return apply(self, obj, **kwargs)

    monkeypatch.setattr(KubeClient, "apply", apply_then_taken_over)
    realkube.clear_requests()

    report = reconcile.sync_cluster(kube_cluster.pk)

    assert any("taken over" in e for e in report.errors)
    assert len([w for w in realkube.writes() if w.method == "PATCH"]) == 1
