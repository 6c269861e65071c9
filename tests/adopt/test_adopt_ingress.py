"""Adopting a hand-made Ingress on the local kube-apiserver (tests/realkube): traffic untouched, one metadata-only
apply, and the reconciler afterwards finds nothing to write."""

import json

import pytest

from core.models import AuditEvent
from routes import adopt, reconcile
from routes.models import HostClaim, Review, Route
from tests.adopt.conftest import INGRESS

pytestmark = pytest.mark.django_db


def adopt_all(cluster, user=None):
    candidates = adopt.discover(cluster)
    return candidates, adopt.adopt(cluster, candidates, user)


def test_adopted_ingress_keeps_its_spec_and_gets_our_labels_with_one_metadata_only_apply(
    realkube, kube_cluster, hand_made, pat
):
    spec_before = hand_made("cart")
    realkube.clear_requests()

    candidates, results = adopt_all(kube_cluster, pat)

    assert [(c.key, c.adoptable, c.team.slug) for c in candidates] == [("shop/cart", True, "shop")]
    assert [r.error for r in results] == [""]
    live = realkube.get(*INGRESS, "shop", "cart")
    assert json.dumps(live["spec"], sort_keys=True) == json.dumps(spec_before, sort_keys=True)
    route = Route.objects.get(cluster=kube_cluster, namespace="shop", name="cart")
    assert live["metadata"]["labels"] == {
        "app": "cart",
        "app.kubernetes.io/managed-by": "portico",
        "portico.dev/route": str(route.pk),
        "portico.dev/team": "shop",
    }
    annotations = live["metadata"]["annotations"]
    assert annotations["portico.dev/revision"] == "1" and len(annotations["portico.dev/spec-hash"]) == 16
    writes = realkube.writes()
    assert len(writes) == 1
    write = writes[0]
    assert (write.method, write.content_type) == ("PATCH", "application/apply-patch+yaml")
    assert write.query["fieldManager"] == "portico"
    assert set(write.body) == {"apiVersion", "kind", "metadata"}
    assert set(write.body["metadata"]) <= {"name", "namespace", "labels", "annotations", "resourceVersion"}


def test_adopted_route_is_approved_applied_claimed_and_audited(kube_cluster, hand_made, pat):
    hand_made("cart")

    adopt_all(kube_cluster, pat)

    route = Route.objects.get(name="cart")
    assert (route.approval, route.revision, route.approved_revision, route.applied_revision) == ("approved", 1, 1, 1)
    assert route.sync == "Synced"
    assert route.latest_spec.to_dict() == {
        "host": "cart.shop.example.com",
        "path": "/",
        "path_type": "Prefix",
        "backend": {
            "service_name": "cart",
            "service_port": 8080,
            "target_port": None,
            "selector": None,
            "service_type": None,
            "external_name": None,
        },
        "tls": {"mode": "secret", "issuer": None, "secret_name": "cart-tls"},
    }
    claim = HostClaim.objects.get(host="cart.shop.example.com")
    assert (claim.team.slug, claim.route_id, claim.claimed_by) == ("shop", route.pk, pat)
    assert Review.objects.get(route=route).reviewer == pat
    verbs = list(
        AuditEvent.objects.filter(object_id=str(route.pk)).order_by("at", "id").values_list("verb", "actor_name")
    )
    assert verbs == [("adopt", "pat"), ("apply", "pat")]
    assert AuditEvent.objects.get(verb="adopt").after["ingress"] == "shop/cart"


def test_reconcile_and_sync_after_adoption_write_nothing(realkube, kube_cluster, hand_made, pat):
    hand_made("cart")
    adopt_all(kube_cluster, pat)
    route = Route.objects.get(name="cart")
    labelled = realkube.get(*INGRESS, "shop", "cart")
    realkube.clear_requests()

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.UNCHANGED
    report = reconcile.sync_cluster(kube_cluster.pk)

    assert realkube.writes() == []
    assert (report.applied, report.deleted, report.errors) == (0, 0, [])
    assert realkube.get(*INGRESS, "shop", "cart") == labelled
    assert Route.objects.get(pk=route.pk).sync == "Synced"


def test_plain_http_ingress_is_adopted_with_tls_none_when_the_team_allows_it(
    realkube, kube_cluster, hand_made, shop, pat
):
    shop.allow_plain_http = True
    shop.save()
    spec_before = hand_made("web", host="www.shop.example.com", secret=None, port="http")

    _, results = adopt_all(kube_cluster, pat)

    assert [r.error for r in results] == [""]
    spec = Route.objects.get(name="web").latest_spec
    assert (spec.tls.mode, spec.backend.service_port) == ("none", "http")
    assert realkube.get(*INGRESS, "shop", "web")["spec"] == spec_before
    realkube.clear_requests()
    reconcile.sync_cluster(kube_cluster.pk)
    assert realkube.writes() == []


def test_the_system_adopts_when_no_platform_engineer_is_named(kube_cluster, hand_made):
    hand_made("cart")

    adopt_all(kube_cluster, None)

    route = Route.objects.get(name="cart")
    assert route.created_by.username == "portico-system" and not route.created_by.is_active
    assert AuditEvent.objects.get(verb="adopt").actor_name == "system"
    assert Review.objects.get(route=route).automatic


def test_a_developer_cannot_adopt(kube_cluster, hand_made, alice):
    hand_made("cart")
    candidates = adopt.discover(kube_cluster)

    with pytest.raises(adopt.PermissionDenied):
        adopt.adopt(kube_cluster, candidates, alice)
    assert not Route.objects.exists()


def test_an_ingress_changed_since_it_was_listed_is_not_labelled_and_a_second_adoption_finishes(
    realkube, kube_cluster, hand_made, pat
):
    hand_made("cart")
    candidates = adopt.discover(kube_cluster)
    realkube.patch_out_of_band(*INGRESS, "shop", "cart", {"metadata": {"labels": {"tier": "web"}}})

    [result] = adopt.adopt(kube_cluster, candidates, pat)

    assert "did not accept Portico's labels" in result.error and "adopt the Ingress again" in result.error
    assert "portico.dev/route" not in realkube.get(*INGRESS, "shop", "cart")["metadata"]["labels"]
    route = Route.objects.get(name="cart")
    assert (route.approved_revision, route.applied_revision) == (1, None)

    [again] = adopt.discover(kube_cluster)
    assert again.adoptable and again.route == route
    [result] = adopt.adopt(kube_cluster, [again], pat)

    assert result.ok and Route.objects.count() == 1
    assert Route.objects.get(pk=route.pk).applied_revision == 1
    assert realkube.get(*INGRESS, "shop", "cart")["metadata"]["labels"]["portico.dev/route"] == str(route.pk)


def test_discover_skips_ingresses_portico_already_manages(realkube, kube_cluster, approve, hand_made):
    reconcile.reconcile_route(approve("managed", host="managed.shop.example.com").pk)
    hand_made("cart")

    assert [c.key for c in adopt.discover(kube_cluster)] == ["shop/cart"]


def test_discover_lists_one_namespace_when_asked(realkube, kube_cluster, hand_made):
    hand_made("cart")
    hand_made("blog", namespace="blog", host="blog.example.com")
    realkube.clear_requests()

    assert [c.key for c in adopt.discover(kube_cluster, namespace="blog")] == ["blog/blog"]
    [listing] = realkube.requests
    assert listing.path == "/apis/networking.k8s.io/v1/namespaces/blog/ingresses"
    assert listing.query["labelSelector"] == "app.kubernetes.io/managed-by!=portico" and listing.query["limit"]


def test_discover_follows_the_list_pages(realkube, kube_cluster, hand_made, monkeypatch):
    monkeypatch.setattr("clusters.kube.LIST_PAGE_SIZE", 2)
    for i in range(5):
        hand_made(f"app{i}", host=f"app{i}.shop.example.com")
    realkube.clear_requests()

    assert [c.key for c in adopt.discover(kube_cluster)] == [f"shop/app{i}" for i in range(5)]
    assert [(r.method, r.query.get("limit")) for r in realkube.requests] == [("GET", "2")] * 3
