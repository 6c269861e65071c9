"""Directory (GitOps) clusters: the same reconciler writes one YAML file per object and prunes files."""

import pytest
import yaml

from clusters import lease
from routes import reconcile, services
from routes.models import Route


def files(cluster):
    root = cluster.directory_path()
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.yaml"))


@pytest.mark.django_db
def test_approved_route_is_exported_and_synced(approved_route, cluster):
    assert reconcile.reconcile_route(approved_route.pk) is reconcile.Result.APPLIED

    assert files(cluster) == ["shop/certificate-cart-shop-example-com.yaml", "shop/ingress-cart.yaml"]
    ingress = yaml.safe_load((cluster.directory_path() / "shop/ingress-cart.yaml").read_text())
    assert ingress["metadata"]["labels"]["portico.dev/route"] == str(approved_route.pk)
    route = Route.objects.get(pk=approved_route.pk)
    assert (route.applied_revision, route.sync, route.health) == (1, "Synced", "Healthy")


@pytest.mark.django_db
def test_second_reconcile_with_nothing_changed_writes_nothing(approved_route, cluster):
    reconcile.reconcile_route(approved_route.pk)
    stamps = {p: p.stat().st_mtime_ns for p in cluster.directory_path().rglob("*.yaml")}

    assert reconcile.reconcile_route(approved_route.pk) is reconcile.Result.UNCHANGED
    assert {p: p.stat().st_mtime_ns for p in cluster.directory_path().rglob("*.yaml")} == stamps


@pytest.mark.django_db
def test_sync_restores_a_deleted_file_and_prunes_a_stray_one(approved_route, cluster):
    reconcile.reconcile_route(approved_route.pk)
    (cluster.directory_path() / "shop/ingress-cart.yaml").unlink()
    stray = yaml.safe_load((cluster.directory_path() / "shop/certificate-cart-shop-example-com.yaml").read_text())
    stray["metadata"]["name"] = "leftover"
    (cluster.directory_path() / "shop/certificate-leftover.yaml").write_text(yaml.safe_dump(stray))

    report = reconcile.sync_cluster(cluster.pk)

    assert (report.applied, report.deleted) == (1, 1)
    assert files(cluster) == ["shop/certificate-cart-shop-example-com.yaml", "shop/ingress-cart.yaml"]


@pytest.mark.django_db
def test_deleted_route_is_pruned_but_shared_certificate_stays_for_the_other_route(submit, pat, alice, cluster):
    first = services.approve_route(submit(), user=pat)
    second = services.approve_route(submit("cart-api", path="/api"), user=pat)
    reconcile.sync_cluster(cluster.pk)
    assert len(files(cluster)) == 3  # two Ingresses, one shared Certificate

    services.request_deletion(first, user=alice)
    reconcile.sync_cluster(cluster.pk)

    assert files(cluster) == ["shop/certificate-cart-shop-example-com.yaml", "shop/ingress-cart-api.yaml"]
    assert Route.objects.get(pk=first.pk).deleted_at is not None
    services.request_deletion(second, user=alice)
    reconcile.reconcile_route(second.pk)
    assert files(cluster) == []


@pytest.mark.django_db
def test_sync_picks_up_an_approved_route_whose_message_was_lost(approved_route, cluster):
    report = reconcile.sync_cluster(cluster.pk)

    assert report.reconciled == 1
    assert Route.objects.get(pk=approved_route.pk).applied_revision == 1


@pytest.mark.django_db
def test_a_second_sync_of_the_same_cluster_waits_for_the_lease(approved_route, cluster):
    token = lease.acquire(cluster.pk)
    assert reconcile.sync_cluster(cluster.pk).skipped
    lease.release(cluster.pk, token)
    assert not reconcile.sync_cluster(cluster.pk).skipped
