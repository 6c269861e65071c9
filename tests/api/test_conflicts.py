"""Requests that clash with existing state answer 409, and the message names what they clash with."""

import pytest

from clusters.models import Cluster
from routes import services
from routes.models import HostClaim, Route
from teams.models import Team

from .conftest import route_body, url


@pytest.fixture
def client(api, alice, no_throttle):
    return api(alice)


def test_duplicate_route_name_names_the_existing_route(client, submit):
    submit(path="/other")

    response = client.post(url(), route_body(path="/new"), format="json")

    assert response.status_code == 409
    assert response.json() == {
        "name": [
            'A route named "cart" already exists in namespace "shop" on this cluster (team "shop"); choose another name.'
        ]
    }
    assert Route.objects.count() == 1


def test_taken_path_names_the_route_serving_it(client, submit):
    submit()

    response = client.post(url(), route_body(name="basket", path="/"), format="json")

    assert response.status_code == 409
    assert response.json() == {
        "path": [
            (
                'Route "shop/cart" of team "shop" already serves Prefix path "/" on host "cart.shop.example.com"; '
                "choose another path or change that route."
            )
        ]
    }


def test_dry_run_reports_the_same_conflicts_and_saves_nothing(client, submit):
    submit()

    response = client.post(url() + "?dry_run=true", route_body(name="basket"), format="json")

    assert response.status_code == 409
    assert "path" in response.json()
    assert Route.objects.count() == 1


def test_host_claimed_by_another_team_names_the_owner(api, approved_route, cluster):
    rival = Team.objects.create(slug="rival", name="Rival", domains=["shop.example.com"])
    rival.namespaces.create(cluster=cluster, namespace="rival")
    mallory = rival.members.create(username="mallory")

    response = api(mallory).post(url(), route_body(team="rival", namespace="rival", path="/x"), format="json")

    assert response.status_code == 409
    assert response.json()["host"][0].startswith('Host "cart.shop.example.com" is claimed by team "shop"')


def test_approving_a_revision_that_is_not_pending_is_a_conflict(api, approved_route, quinn):
    response = api(quinn).post(url(approved_route, "approve"), {"revision": 1}, format="json")

    assert response.status_code == 409
    assert response.json() == {"revision": ["Revision 1 is not the pending revision of this route."]}


def test_approving_a_revision_that_does_not_exist_is_a_conflict(api, submit, quinn):
    response = api(quinn).post(url(submit(), "approve"), {"revision": 7}, format="json")

    assert response.status_code == 409
    assert response.json() == {"revision": ["Revision 7 is not the pending revision of this route."]}


def test_a_route_being_deleted_cannot_be_edited(client, approved_route, alice):
    services.request_deletion(approved_route, user=alice)

    response = client.patch(url(approved_route), {"path": "/new"}, format="json")

    assert response.status_code == 409
    assert response.json() == {"name": ["This route is being deleted and can no longer be edited."]}


def test_releasing_a_host_still_in_use_names_the_routes(client, approved_route):
    response = client.delete(f"/api/v1/host-claims/{approved_route.host}/")

    assert response.status_code == 409
    assert response.json() == {
        "host": [
            (
                'Host "cart.shop.example.com" is still used by route prod-eu/shop/cart (r1 approved); it can be released '
                "once no route serves or requests it (delete the routes, or move them to another host and let the change "
                "be applied)."
            )
        ]
    }
    assert HostClaim.objects.filter(host=approved_route.host).exists()


def test_duplicate_cluster_name(api, pat, cluster):
    response = api(pat).post("/api/v1/clusters/", {"name": "prod-eu", "mode": "directory"}, format="json")

    assert response.status_code == 409
    assert response.json() == {"name": ['A cluster named "prod-eu" already exists.']}


def test_cluster_with_routes_cannot_be_removed(api, pat, submit):
    submit()

    response = api(pat).delete("/api/v1/clusters/prod-eu/")

    assert response.status_code == 409
    assert 'Cluster "prod-eu" still has routes' in response.json()["non_field_errors"][0]
    assert Cluster.objects.filter(name="prod-eu").exists()


def test_duplicate_team_slug(api, pat, shop):
    response = api(pat).post("/api/v1/teams/", {"slug": "shop", "name": "Shop again"}, format="json")

    assert response.status_code == 409
    assert response.json() == {"slug": ['A team with slug "shop" already exists.']}
