"""Another team's route answers 404 on every endpoint, exactly like a route that does not exist."""

import uuid

import pytest

from routes.models import Route

from .conftest import url

ENDPOINTS = [
    ("get", ""),
    ("patch", ""),
    ("delete", ""),
    ("get", "manifests"),
    ("get", "diff"),
    ("get", "status"),
    ("get", "history"),
    ("post", "approve"),
    ("post", "reject"),
]


@pytest.mark.parametrize(("method", "action"), ENDPOINTS, ids=[f"{m} {a or 'detail'}" for m, a in ENDPOINTS])
def test_another_teams_route_is_not_found(method, action, api, bob, approved_route):
    missing = Route(pk=uuid.uuid4())
    body = {"comment": "x", "path": "/x"}

    theirs = getattr(api(bob), method)(url(approved_route, action), body, format="json")
    nothing = getattr(api(bob), method)(url(missing, action), body, format="json")

    assert theirs.status_code == nothing.status_code == 404
    assert theirs.json() == nothing.json() == {"detail": "No Route matches the given query."}
    approved_route.refresh_from_db()
    assert (approved_route.revision, approved_route.deletion_requested_at) == (1, None)


def test_another_teams_routes_are_not_listed(api, bob, approved_route):
    response = api(bob).get(url())

    assert response.json()["count"] == 0
    assert str(approved_route.pk) not in response.content.decode()


def test_filtering_by_another_team_finds_nothing(api, bob, approved_route):
    response = api(bob).get(url() + "?team=shop")

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_another_teams_host_claim_is_not_found(api, bob, approved_route):
    response = api(bob).get(f"/api/v1/host-claims/{approved_route.host}/")

    assert response.status_code == 404


def test_a_malformed_route_id_is_not_found(api, alice):
    assert api(alice).get("/api/v1/routes/not-a-uuid/").status_code == 404
