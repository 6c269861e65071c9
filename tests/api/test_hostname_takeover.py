"""A host claimed by one team cannot be taken through the API by another, however the host is spelt.

Team rival may publish under shop.example.com too (its domains allow it), so only the claim stands in the way:
every attempt must be a 409 that names the owning team, and nothing may be saved.
"""

import pytest

from clusters.models import Cluster
from routes import services
from routes.models import HostClaim, Route
from tests.factories import make_team, make_user, spec

from .conftest import route_body, url

CLAIMED = "cart.shop.example.com"
IDN_CLAIMED = "xn--bcher-kva.shop.example.com"  # bücher.shop.example.com


@pytest.fixture
def second_cluster(cluster):
    return Cluster.objects.create(name="prod-us", mode="directory")


@pytest.fixture
def rival(cluster, second_cluster):
    return make_team("rival", domains=["shop.example.com"], namespaces=[(cluster, "rival"), (second_cluster, "rival")])


@pytest.fixture
def mallory(rival):
    return make_user("mallory", teams=[rival])


@pytest.fixture
def claims(approved_route, submit, pat):
    """Team shop owns cart.shop.example.com (claimed by approval) and the IDN host bücher.shop.example.com."""
    services.approve_route(submit("books", host="bücher.shop.example.com"), user=pat)
    assert set(HostClaim.objects.values_list("host", "team__slug")) == {(CLAIMED, "shop"), (IDN_CLAIMED, "shop")}


def rival_body(**overrides):
    return route_body(**{"name": "grab", "team": "rival", "namespace": "rival", "path": "/grab", **overrides})


@pytest.mark.parametrize(
    ("host", "overrides"),
    [
        ("CART.Shop.Example.COM", {}),
        ("cart.shop.example.com.", {}),
        (" cart.shop.example.com", {}),
        ("bücher.shop.example.com", {}),
        ("BÜCHER.shop.example.com", {}),
        (IDN_CLAIMED, {}),
        (CLAIMED, {"path": "/cart/checkout"}),
        (CLAIMED, {"path": "/", "path_type": "Exact"}),
        (CLAIMED, {"cluster": "prod-us"}),
    ],
    ids=[
        "case",
        "trailing-dot",
        "whitespace",
        "unicode",
        "unicode-upper",
        "punycode",
        "path-under",
        "exact-root",
        "other-cluster",
    ],
)
def test_rival_cannot_request_a_claimed_host(host, overrides, api, mallory, claims, no_throttle):
    response = api(mallory).post(url(), rival_body(host=host, **overrides), format="json")

    assert response.status_code == 409, response.content
    assert 'claimed by team "shop"' in response.json()["host"][0]
    assert not Route.objects.filter(team__slug="rival").exists()


def test_dry_run_refuses_a_claimed_host_too(api, mallory, claims):
    response = api(mallory).post(url() + "?dry_run=true", rival_body(host="Cart.Shop.Example.Com."), format="json")

    assert response.status_code == 409
    assert 'claimed by team "shop"' in response.json()["host"][0]


def test_platform_engineer_cannot_put_a_wildcard_over_a_claimed_host_for_another_team(api, quinn, rival, claims):
    response = api(quinn).post(url(), rival_body(host="*.shop.example.com"), format="json")

    assert response.status_code == 409
    assert response.json()["host"] == [
        (
            'Wildcard host "*.shop.example.com" would cover "cart.shop.example.com", which is claimed by team "shop"; '
            "only that team can add routes there. Ask them to add your path, or ask a platform engineer to release "
            "the claim."
        )
    ]
    assert not Route.objects.filter(team__slug="rival").exists()


def test_host_under_a_claimed_wildcard_is_refused(api, mallory, shop):
    HostClaim.objects.create(host="*.shop.example.com", team=shop)

    response = api(mallory).post(url(), rival_body(host="new.shop.example.com"), format="json")

    assert response.status_code == 409
    assert 'falls under "*.shop.example.com", which is claimed by team "shop"' in response.json()["host"][0]


@pytest.mark.parametrize("host", ["CART.shop.example.com.", "cart.shop.example.com", IDN_CLAIMED.upper()])
def test_rival_cannot_edit_its_route_onto_a_claimed_host(host, api, mallory, rival, cluster, claims, pat):
    route = services.submit_route(
        user=mallory,
        team=rival,
        cluster=cluster,
        namespace="rival",
        name="mine",
        spec=spec(host="mine.shop.example.com", path="/"),
    )
    services.approve_route(route, user=pat)

    response = api(mallory).patch(url(route), {"host": host}, format="json")

    assert response.status_code == 409, response.content
    assert 'claimed by team "shop"' in response.json()["host"][0]
    route.refresh_from_db()
    assert (route.revision, route.host) == (1, "mine.shop.example.com")


def test_the_owning_team_may_add_paths_under_its_claimed_host(api, alice, claims):
    response = api(alice).post(
        url(), route_body(name="checkout", host="CART.shop.example.com.", path="/checkout"), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["host"] == CLAIMED
