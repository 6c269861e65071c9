"""Who may call what: every endpoint and method, for each role, answers the documented status code.

The route under test belongs to team shop: alice (a member) requested revision 1, quinn approved it, and pat
(a platform engineer) requested the pending revision 2. So pat is "the requester" of what is under review and
quinn is a reviewer who may decide. bob is in another team. Each role runs in its own rolled-back transaction,
so a role's writes never change what the next role sees.
"""

from dataclasses import replace

import pytest
from django.db import transaction

from clusters.models import Cluster
from routes import services
from routes.models import HostClaim

from .conftest import route_body

ROLES = ("anonymous", "owner", "other_team", "platform", "requester")
CLUSTER_BODY = {"name": "edge", "mode": "directory", "directory": "edge"}
TEAM_BODY = {"slug": "search", "name": "Search"}

# (method, path, body, expected status per role in ROLES order); {route} and {claim} are filled in, and
# NEW_ROUTE stands for a valid request for a second route of team shop.
NEW_ROUTE = object()
MATRIX = [
    ("GET", "/api/v1/routes/", None, (401, 200, 200, 200, 200)),
    ("POST", "/api/v1/routes/", NEW_ROUTE, (401, 201, 400, 201, 201)),
    ("POST", "/api/v1/routes/?dry_run=true", NEW_ROUTE, (401, 200, 400, 200, 200)),
    ("GET", "/api/v1/routes/{route}/", None, (401, 200, 404, 200, 200)),
    ("PATCH", "/api/v1/routes/{route}/", {"path": "/shop"}, (401, 200, 404, 200, 200)),
    ("PUT", "/api/v1/routes/{route}/", NEW_ROUTE, (401, 405, 405, 405, 405)),
    ("DELETE", "/api/v1/routes/{route}/", None, (401, 202, 404, 202, 202)),
    ("GET", "/api/v1/routes/{route}/manifests/", None, (401, 200, 404, 200, 200)),
    ("GET", "/api/v1/routes/{route}/diff/", None, (401, 200, 404, 200, 200)),
    ("GET", "/api/v1/routes/{route}/status/", None, (401, 200, 404, 200, 200)),
    ("GET", "/api/v1/routes/{route}/history/", None, (401, 200, 404, 200, 200)),
    ("POST", "/api/v1/routes/{route}/approve/", {"comment": "ok"}, (401, 403, 404, 200, 403)),
    ("POST", "/api/v1/routes/{route}/reject/", {"comment": "no"}, (401, 403, 404, 200, 403)),
    ("GET", "/api/v1/clusters/", None, (401, 200, 200, 200, 200)),
    ("POST", "/api/v1/clusters/", CLUSTER_BODY, (401, 403, 403, 201, 201)),
    ("GET", "/api/v1/clusters/prod-eu/", None, (401, 200, 200, 200, 200)),
    ("PATCH", "/api/v1/clusters/prod-eu/", {"display_name": "Prod"}, (401, 403, 403, 200, 200)),
    ("DELETE", "/api/v1/clusters/empty/", None, (401, 403, 403, 204, 204)),
    ("DELETE", "/api/v1/clusters/prod-eu/", None, (401, 403, 403, 409, 409)),
    ("GET", "/api/v1/teams/", None, (401, 200, 200, 200, 200)),
    ("POST", "/api/v1/teams/", TEAM_BODY, (401, 403, 403, 201, 201)),
    ("GET", "/api/v1/teams/shop/", None, (401, 200, 404, 200, 200)),
    ("PATCH", "/api/v1/teams/shop/", {"auto_approve": True}, (401, 403, 403, 200, 200)),
    ("DELETE", "/api/v1/teams/shop/", None, (401, 403, 403, 405, 405)),
    ("GET", "/api/v1/host-claims/", None, (401, 200, 200, 200, 200)),
    ("GET", "/api/v1/host-claims/{claim}/", None, (401, 200, 404, 200, 200)),
    ("DELETE", "/api/v1/host-claims/unused.shop.example.com/", None, (401, 204, 404, 204, 204)),
    ("DELETE", "/api/v1/host-claims/{claim}/", None, (401, 409, 404, 409, 409)),
]


@pytest.fixture
def users(alice, bob, pat, quinn):
    return {"anonymous": None, "owner": alice, "other_team": bob, "platform": quinn, "requester": pat}


@pytest.fixture
def route(approved_route, pat):
    """Approved revision 1 (requested by alice), pending revision 2 requested by pat."""
    return services.edit_route(approved_route, user=pat, spec=replace(approved_route.latest_spec, path="/v2"))


@pytest.fixture
def unused_claim(shop):
    Cluster.objects.create(name="empty", mode="directory")
    return HostClaim.objects.create(host="unused.shop.example.com", team=shop)


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_each_role_gets_the_documented_status(
    method, path, body, expected, api, users, route, unused_claim, no_throttle
):
    if body is NEW_ROUTE:
        body = route_body(name="api", path="/api")
    path = path.format(route=route.pk, claim=route.host)
    answered = {}
    for role in ROLES:
        with transaction.atomic():
            answered[role] = getattr(api(users[role]), method.lower())(path, body, format="json").status_code
            transaction.set_rollback(True)
    assert answered == dict(zip(ROLES, expected, strict=True))
