"""What adoption refuses, and why: every Ingress a route cannot reproduce exactly is reported, never guessed."""

import pytest

from routes import adopt, reconcile, services
from routes.models import HostClaim, Route
from tests.adopt.conftest import INGRESS, ingress_body
from tests.factories import make_team

pytestmark = pytest.mark.django_db


def only(cluster):
    [candidate] = adopt.discover(cluster)
    return candidate


def refused(cluster, *needles):
    """The single candidate is not adoptable, and its reasons say each of ``needles``."""
    candidate = only(cluster)
    assert not candidate.adoptable
    text = " ".join(candidate.reasons)
    for needle in needles:
        assert needle in text, text
    return candidate


def test_two_rules_are_refused(kube_cluster, realkube):
    body = ingress_body("cart")
    body["spec"]["rules"].append({"host": "api.shop.example.com", "http": body["spec"]["rules"][0]["http"]})
    realkube.create(body)

    refused(kube_cluster, "It has 2 rules; a route has exactly one host and one path.")


def test_two_paths_are_refused(kube_cluster, realkube):
    body = ingress_body("cart")
    paths = body["spec"]["rules"][0]["http"]["paths"]
    paths.append({**paths[0], "path": "/api"})
    realkube.create(body)

    refused(kube_cluster, "It has 2 paths; a route has exactly one path.")


def test_a_default_backend_is_refused(kube_cluster, hand_made):
    hand_made("cart", defaultBackend={"service": {"name": "fallback", "port": {"number": 80}}})

    refused(kube_cluster, "It has a defaultBackend")


def test_a_resource_backend_is_refused(kube_cluster, realkube):
    body = ingress_body("cart")
    body["spec"]["rules"][0]["http"]["paths"][0]["backend"] = {
        "resource": {"apiGroup": "k8s.example.com", "kind": "StorageBucket", "name": "static"}
    }
    realkube.create(body)

    refused(kube_cluster, 'Its path sends traffic to a resource (StorageBucket "static"), not to a Service')


def test_another_ingress_class_is_refused(kube_cluster, hand_made):
    hand_made("cart", ingress_class="traefik")

    refused(
        kube_cluster,
        'Its ingressClassName is "traefik" but real uses "nginx": Portico would hand it to another controller.',
    )


def test_no_ingress_class_is_refused_because_portico_would_set_one(kube_cluster, hand_made):
    hand_made("cart", ingress_class=None)

    refused(kube_cluster, "It sets no ingressClassName", 'Portico would set "nginx"')


def test_annotations_portico_would_not_keep_are_named(kube_cluster, hand_made):
    hand_made(
        "cart",
        metadata={
            "annotations": {
                "nginx.ingress.kubernetes.io/rewrite-target": "/",
                "kubectl.kubernetes.io/last-applied-configuration": "{}",
                "cert-manager.io/cluster-issuer": "letsencrypt",
            }
        },
    )

    candidate = refused(
        kube_cluster,
        'annotations Portico would not keep: "cert-manager.io/cluster-issuer", '
        '"nginx.ingress.kubernetes.io/rewrite-target".',
    )
    assert "last-applied-configuration" not in " ".join(candidate.reasons)


def test_only_kubectls_last_applied_annotation_is_no_obstacle(kube_cluster, hand_made):
    hand_made("cart", metadata={"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}})

    assert only(kube_cluster).adoptable


def test_an_ingress_another_tool_manages_is_refused(kube_cluster, hand_made):
    hand_made("cart", metadata={"labels": {"app.kubernetes.io/managed-by": "Helm"}})

    refused(kube_cluster, 'It is labelled app.kubernetes.io/managed-by="Helm": Helm manages it')


def test_an_ingress_owned_by_another_object_is_refused(kube_cluster, hand_made):
    hand_made(
        "cart",
        metadata={
            "ownerReferences": [{"apiVersion": "example.com/v1", "kind": "WebApp", "name": "cart", "uid": "1234"}]
        },
    )

    refused(kube_cluster, 'It belongs to WebApp "cart" (ownerReferences)')


def test_a_host_claimed_by_another_team_is_refused(kube_cluster, hand_made, shop, cluster, pat):
    blog = make_team("blog", domains=["blog.example.com"], namespaces=[(cluster, "blog")])
    HostClaim.objects.create(host="cart.shop.example.com", team=blog)
    hand_made("cart")

    candidate = refused(kube_cluster, 'Host "cart.shop.example.com" is claimed by team "blog"')

    assert candidate.team == shop
    assert adopt.adopt(kube_cluster, [candidate], pat)[0].error.startswith("Not adopted:")
    assert not Route.objects.exists()


def test_the_same_path_as_a_portico_route_is_refused(kube_cluster, approve, hand_made, realkube):
    reconcile.reconcile_route(approve("cart-v2", host="cart.shop.example.com", path="/").pk)
    hand_made("cart", host="cart.shop.example.com", path="/")

    refused(kube_cluster, 'Route "shop/cart-v2" of team "shop" already serves Prefix path "/"')


def test_a_pending_route_with_the_ingress_name_is_refused(kube_cluster, submit, hand_made):
    submit("cart", on=kube_cluster, host="other.shop.example.com")
    hand_made("cart")

    refused(kube_cluster, 'A route named "cart" already exists in namespace "shop"')


def test_two_ingresses_that_would_become_the_same_route_are_both_reported_and_neither_adopted(
    kube_cluster, hand_made, realkube, pat
):
    hand_made("cart")
    hand_made("cart-old", secret="cart-old-tls")
    hand_made("api", host="api.shop.example.com")

    candidates = {c.key: c for c in adopt.discover(kube_cluster)}

    assert candidates["shop/cart"].conflicts_with == ["shop/cart-old"]
    assert candidates["shop/cart-old"].conflicts_with == ["shop/cart"]
    assert 'Ingress "shop/cart-old" also serves "cart.shop.example.com/"' in " ".join(candidates["shop/cart"].reasons)
    assert "neither is adopted" in " ".join(candidates["shop/cart-old"].reasons)
    results = adopt.adopt(kube_cluster, list(candidates.values()), pat)
    assert sorted(r.candidate.key for r in results if r.ok) == ["shop/api"]
    assert list(Route.objects.values_list("name", flat=True)) == ["api"]
    assert "portico.dev/route" not in realkube.get(*INGRESS, "shop", "cart")["metadata"]["labels"]


def test_a_clash_with_an_ingress_that_cannot_be_adopted_is_reported_on_both(kube_cluster, realkube, hand_made):
    hand_made("cart")
    body = ingress_body("legacy")
    paths = body["spec"]["rules"][0]["http"]["paths"]
    paths.append({**paths[0], "path": "/old"})
    realkube.create(body)

    candidates = {c.key: c for c in adopt.discover(kube_cluster)}

    assert candidates["shop/cart"].conflicts_with == ["shop/legacy"] and not candidates["shop/cart"].adoptable
    assert candidates["shop/legacy"].conflicts_with == ["shop/cart"]


def test_no_matching_team_is_refused(kube_cluster, hand_made):
    hand_made("cart", host="cart.elsewhere.example.org")

    candidate = refused(
        kube_cluster, 'No team has both a domain covering "cart.elsewhere.example.org" and namespace "shop"'
    )
    assert candidate.team is None


def test_a_namespace_no_team_may_use_is_refused(kube_cluster, hand_made):
    hand_made("cart", namespace="legacy")

    refused(kube_cluster, 'namespace "legacy" on real')


def test_several_matching_teams_are_refused(kube_cluster, hand_made):
    make_team("checkout", domains=["example.com"], namespaces=[(kube_cluster, "shop")])
    hand_made("cart")

    candidate = refused(kube_cluster, 'Teams "checkout", "shop" all cover "cart.shop.example.com"', "will not guess")
    assert candidate.team is None


def test_the_host_claim_picks_one_of_several_matching_teams(kube_cluster, hand_made, shop):
    make_team("checkout", domains=["example.com"], namespaces=[(kube_cluster, "shop")])
    HostClaim.objects.create(host="cart.shop.example.com", team=shop)
    hand_made("cart")

    candidate = only(kube_cluster)
    assert candidate.adoptable and candidate.team == shop


def test_an_ingress_name_that_is_no_route_name_is_refused(kube_cluster, hand_made):
    hand_made("cart.v1")

    refused(kube_cluster, 'Name "cart.v1" is not valid')


def test_tls_for_other_hosts_is_refused(kube_cluster, hand_made):
    hand_made("cart", tls=[{"hosts": ["cart.shop.example.com", "www.shop.example.com"], "secretName": "wide"}])

    refused(kube_cluster, 'Its TLS entry covers "cart.shop.example.com", "www.shop.example.com" rather than exactly')


def test_tls_without_a_secret_name_is_refused(kube_cluster, hand_made):
    hand_made("cart", tls=[{"hosts": ["cart.shop.example.com"]}])

    refused(kube_cluster, "Its TLS entry names no secretName")


def test_plain_http_is_refused_where_the_team_may_not_serve_it(kube_cluster, hand_made):
    hand_made("cart", secret=None)

    refused(kube_cluster, 'Team "shop" may not serve plain HTTP')


def test_an_implementation_specific_path_is_refused(kube_cluster, hand_made):
    hand_made("cart", path_type="ImplementationSpecific")

    refused(kube_cluster, 'Path type "ImplementationSpecific" is not supported')


def test_a_route_request_racing_the_adoption_is_caught_by_the_service(kube_cluster, hand_made, submit, pat):
    hand_made("cart")
    candidate = only(kube_cluster)
    assert candidate.adoptable
    services.approve_route(submit("cart-new", on=kube_cluster, host="cart.shop.example.com"), user=pat)

    [result] = adopt.adopt(kube_cluster, [candidate], pat)

    assert 'Route "shop/cart-new" of team "shop" already serves Prefix path "/"' in result.error
    assert list(Route.objects.values_list("name", flat=True)) == ["cart-new"]
