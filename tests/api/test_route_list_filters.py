"""The API route list's filters, team scoping and pagination, as a client sees them (docs/api.md).

The list skips building its filterset when no parameter names a filter (core.api.filters.NamedFilterBackend):
these tests hold every filter, an invalid value and the scoping to what the filterset itself answers.
"""

import pytest

from clusters.models import Cluster
from routes import services
from routes.models import Route
from teams.models import TeamNamespace

pytestmark = pytest.mark.django_db


@pytest.fixture
def routes(submit, pat, bob, other_team, shop, cluster):
    """Team shop: cart (approved, Healthy), api (pending), us (on cluster prod-us, namespace web); team blog: blog."""
    us = Cluster.objects.create(name="prod-us", mode="directory")
    TeamNamespace.objects.create(team=shop, cluster=us, namespace="web")
    cart = services.approve_route(submit("cart"), user=pat, comment="ok")
    Route.objects.filter(pk=cart.pk).update(health="Healthy", sync="Synced")
    submit("api", path="/api")
    submit("us", on=us, namespace="web", host="us.shop.example.com")
    submit("blog", user=bob, team=other_team, namespace="blog", host="www.blog.example.com")


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [route["name"] for route in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["api", "cart", "us", "blog"]),
        ("team=shop", ["api", "cart", "us"]),
        ("team=blog", ["blog"]),
        ("cluster=prod-us", ["us"]),
        ("namespace=web", ["us"]),
        ("host=CART.shop.example.com.", ["api", "cart"]),
        ("approval=approved", ["cart"]),
        ("approval=pending", ["api", "us", "blog"]),
        ("health=Healthy", ["cart"]),
        ("sync=Synced", ["cart"]),
        ("q=API", ["api"]),
        ("q=blog&team=shop", []),
        ("page_size=50&format=json", ["api", "cart", "us", "blog"]),
    ],
)
def test_each_filter_narrows_the_list(api, pat, routes, query, expected):
    assert sorted(names(api(pat).get(f"/api/v1/routes/?{query}"))) == sorted(expected)


@pytest.mark.parametrize("query", ["", "team=blog", "q=blog", "host=www.blog.example.com", "approval=pending"])
def test_a_developer_never_lists_another_teams_routes(api, alice, bob, routes, query):
    listed = names(api(alice).get(f"/api/v1/routes/?{query}"))
    assert "blog" not in listed
    assert set(listed) <= {"api", "cart", "us"}
    assert "blog" in names(api(bob).get("/api/v1/routes/")) and len(names(api(bob).get("/api/v1/routes/"))) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [("approval=bogus", "approval"), ("health=Fine", "health"), ("team=nosuch", "team"), ("cluster=nosuch", "cluster")],
)
def test_an_invalid_filter_value_answers_400_naming_it(api, pat, routes, query, field):
    response = api(pat).get(f"/api/v1/routes/?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_pages_count_and_link_the_filtered_list(api, pat, routes):
    first = api(pat).get("/api/v1/routes/?page_size=2&team=shop").json()
    second = api(pat).get(first["next"]).json()

    assert first["count"] == second["count"] == 3
    assert first["previous"] is None and second["next"] is None
    assert "team=shop" in first["next"] and "page=2" in first["next"]
    assert [r["name"] for r in first["results"] + second["results"]] == ["cart", "api", "us"]  # by host, path
    assert api(pat).get("/api/v1/routes/?page=3&page_size=2&team=shop").status_code == 404
