"""List endpoints cost the same number of SQL queries for 5 rows as for 200: nothing is queried per row.

Each list is read in one page (page_size=500), as a developer of team shop and as a platform engineer, so every
row is serialized. The bound counts authentication, the platform check, the page count and the page itself
with its prefetches. The route list, the busiest, is held to its exact count: the token, the platform check,
the count and the page (the latest spec and the related columns come with the page), plus one lookup for each
of the team and cluster filters.
"""

import pytest
from django.contrib.auth.models import User

from clusters.models import Cluster
from routes.choices import ApprovalChoices
from routes.models import HostClaim, Route, RouteRevision
from teams.models import Team, TeamNamespace
from tests.factories import spec

MAX_QUERIES = 7
ROUTE_LIST_QUERIES = 4
SIZES = [5, 200]


def make_routes(n, team, cluster, user):
    routes = Route.objects.bulk_create(
        Route(
            name=f"r{i}",
            team=team,
            cluster=cluster,
            namespace="shop",
            host=f"h{i}.shop.example.com",
            path="/",
            revision=2,
            approved_revision=1,
            approval=ApprovalChoices.PENDING,
            created_by=user,
            conditions=[{"type": "Ready", "status": "True"}],
            certificate={"ready": True},
            endpoints={"ready": 1},
        )
        for i in range(n)
    )
    RouteRevision.objects.bulk_create(
        RouteRevision(
            route=route,
            number=number,
            spec=spec(host=route.host).to_dict(),
            host=route.host,
            path="/",
            path_type="Prefix",
            approval=approval,
            created_by=user,
        )
        for route in routes
        for number, approval in ((1, ApprovalChoices.APPROVED), (2, ApprovalChoices.PENDING))
    )


@pytest.fixture(params=["developer", "platform"])
def reader(request, alice, pat):
    return {"developer": alice, "platform": pat}[request.param]


@pytest.mark.parametrize("n", SIZES)
def test_route_list(n, api, reader, shop, cluster, alice, django_assert_num_queries):
    make_routes(n, shop, cluster, alice)
    client = api(reader)

    with django_assert_num_queries(ROUTE_LIST_QUERIES):
        response = client.get("/api/v1/routes/?page_size=500")

    assert response.status_code == 200
    assert len(response.json()["results"]) == n
    assert response.json()["results"][0]["url"].startswith("https://h")


@pytest.mark.parametrize("n", SIZES)
def test_route_list_with_filters(n, api, reader, shop, cluster, alice, django_assert_num_queries):
    make_routes(n, shop, cluster, alice)
    client = api(reader)

    with django_assert_num_queries(ROUTE_LIST_QUERIES + 2):
        response = client.get("/api/v1/routes/?page_size=500&team=shop&cluster=prod-eu&approval=pending&q=shop")

    assert len(response.json()["results"]) == n


@pytest.mark.parametrize("n", SIZES)
def test_cluster_list(n, api, reader, django_assert_max_num_queries):
    Cluster.objects.bulk_create(Cluster(name=f"c{i}", mode="directory") for i in range(n))
    client = api(reader)

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/api/v1/clusters/?page_size=500")

    assert len(response.json()["results"]) == n + 1  # and prod-eu


@pytest.mark.parametrize("n", SIZES)
def test_team_list(n, api, pat, cluster, django_assert_max_num_queries):
    teams = Team.objects.bulk_create(Team(slug=f"t{i}", name=f"T{i}", domains=[f"t{i}.example.com"]) for i in range(n))
    users = User.objects.bulk_create(User(username=f"u{i}") for i in range(n))
    TeamNamespace.objects.bulk_create(TeamNamespace(team=t, cluster=cluster, namespace=t.slug) for t in teams)
    Team.members.through.objects.bulk_create(
        Team.members.through(team=t, user=u) for t, u in zip(teams, users, strict=True)
    )
    client = api(pat)

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/api/v1/teams/?page_size=500")

    results = response.json()["results"]
    assert len(results) == n
    assert results[0]["members"] and results[0]["namespaces"]


@pytest.mark.parametrize("n", SIZES)
def test_host_claim_list(n, api, reader, shop, alice, django_assert_max_num_queries):
    HostClaim.objects.bulk_create(
        HostClaim(host=f"h{i}.shop.example.com", team=shop, claimed_by=alice) for i in range(n)
    )
    client = api(reader)

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/api/v1/host-claims/?page_size=500")

    assert len(response.json()["results"]) == n
