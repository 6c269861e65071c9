"""Certificates and TLS Secrets are named per host without collisions, and renamed ones are cleaned up.

Routes on "x-y.shop.example.com" and "x.y.shop.example.com" used to share one Certificate (and Secret), which
held the dnsNames of whichever route was applied last (docs/security.md, "One owner per object"). Names are
injective now; a Certificate an older Portico wrote under the old name is pruned by the next sync.
"""

import pytest
import yaml

from routes import reconcile, services
from routes.domain import render
from tests.reconcile.conftest import CERTIFICATE, INGRESS

pytestmark = pytest.mark.django_db


def legacy_slug(host: str) -> str:
    """How Portico named a host's Certificate before names were made injective."""
    return ("wildcard-" + host[2:] if host.startswith("*.") else host).replace(".", "-")


def read_files(cluster, kind: str) -> dict[str, dict]:
    folder = cluster.directory_path() / "shop"
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted(folder.glob(f"{kind}-*.yaml"))}


def test_lookalike_hosts_each_get_their_own_certificate_on_a_directory_cluster(submit, pat, cluster):
    dashed = services.approve_route(submit("dashed", host="x-y.shop.example.com"), user=pat)
    dotted = services.approve_route(submit("dotted", host="x.y.shop.example.com"), user=pat)

    reconcile.sync_cluster(cluster.pk)
    reconcile.sync_cluster(cluster.pk)

    certificates = read_files(cluster, "certificate")
    assert sorted(c["spec"]["dnsNames"][0] for c in certificates.values()) == [
        "x-y.shop.example.com",
        "x.y.shop.example.com",
    ]
    secret_for = {c["spec"]["dnsNames"][0]: c["spec"]["secretName"] for c in certificates.values()}
    for route in (dashed, dotted):
        ingress = read_files(cluster, "ingress")[f"ingress-{route.name}.yaml"]
        assert ingress["spec"]["tls"] == [{"hosts": [route.host], "secretName": secret_for[route.host]}]


def test_lookalike_hosts_each_get_their_own_certificate_on_kubernetes(approve, realkube, kube_cluster):
    approve("dashed", host="x-y.shop.example.com")
    approve("dotted", host="x.y.shop.example.com")

    reconcile.sync_cluster(kube_cluster.pk)
    reconcile.sync_cluster(kube_cluster.pk)

    certificates = realkube.list_objects(*CERTIFICATE, "shop")
    assert sorted(c["spec"]["dnsNames"] for c in certificates) == [["x-y.shop.example.com"], ["x.y.shop.example.com"]]
    assert len({c["spec"]["secretName"] for c in certificates}) == 2


def test_a_certificate_under_its_old_name_is_pruned_by_the_next_sync_on_a_directory_cluster(
    submit, pat, cluster, monkeypatch
):
    host = "x-y.shop.example.com"
    with monkeypatch.context() as old_portico:
        old_portico.setattr(render, "_host_slug", legacy_slug)
        services.approve_route(submit("dashed", host=host), user=pat)
        reconcile.sync_cluster(cluster.pk)
    # The upgraded Portico runs in new worker processes, which remember nothing of the old one's syncs.
    reconcile.memo.forget(cluster.pk)
    assert list(read_files(cluster, "certificate")) == ["certificate-x-y-shop-example-com.yaml"]

    report = reconcile.sync_cluster(cluster.pk)

    assert list(read_files(cluster, "certificate")) == [f"certificate-{render.certificate_name(host)}.yaml"]
    assert read_files(cluster, "ingress")["ingress-dashed.yaml"]["spec"]["tls"][0]["secretName"] == (
        render.tls_secret_name(host)
    )
    assert report.deleted == 1


def test_a_certificate_under_its_old_name_is_pruned_by_the_next_sync_on_kubernetes(
    approve, realkube, kube_cluster, monkeypatch
):
    host = "x-y.shop.example.com"
    with monkeypatch.context() as old_portico:
        old_portico.setattr(render, "_host_slug", legacy_slug)
        approve("dashed", host=host)
        reconcile.sync_cluster(kube_cluster.pk)
    # The upgraded Portico runs in new worker processes, which remember nothing of the old one's syncs.
    reconcile.memo.forget(kube_cluster.pk)
    assert [c["metadata"]["name"] for c in realkube.list_objects(*CERTIFICATE, "shop")] == ["x-y-shop-example-com"]
    realkube.clear_requests()

    reconcile.sync_cluster(kube_cluster.pk)

    assert [c["metadata"]["name"] for c in realkube.list_objects(*CERTIFICATE, "shop")] == [
        render.certificate_name(host)
    ]
    assert realkube.get(*INGRESS, "shop", "dashed")["spec"]["tls"][0]["secretName"] == render.tls_secret_name(host)
    deletes = [r for r in realkube.requests if r.method == "DELETE"]
    assert [r.path.rsplit("/", 1)[-1] for r in deletes] == ["x-y-shop-example-com"]
