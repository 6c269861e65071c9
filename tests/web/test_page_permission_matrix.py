"""Every page, fragment, form post and admin action x every role: the status each one answers, and that no
refused request changed anything. Roles: anonymous, a member of the owning team, a member of another team, a
platform engineer, and a platform engineer who requested the pending revision (and is in the team)."""

import pytest
from django.test import Client

from routes.models import Route

ROLES = ("anonymous", "owner", "other_team", "platform", "requester")
HX = {"HTTP_HX_REQUEST": "true"}
LOGIN = "login"  # a redirect to the sign-in page (302), or for htmx a client redirect to it (HX-Redirect)

# (name, method, url template, htmx, data, expected per role in ROLES order)
MATRIX = [
    ("dashboard", "get", "/", False, None, (LOGIN, 200, 200, 200, 200)),
    ("route list", "get", "/routes/", False, None, (LOGIN, 200, 200, 200, 200)),
    ("route list fragment", "get", "/routes/", True, None, (LOGIN, 200, 200, 200, 200)),
    ("new route form", "get", "/routes/new/", False, None, (LOGIN, 200, 200, 200, 200)),
    ("route detail", "get", "/routes/{pk}/", False, None, (LOGIN, 200, 404, 200, 200)),
    ("status fragment", "get", "/routes/{pk}/", True, None, (LOGIN, 200, 404, 200, 200)),
    ("edit form", "get", "/routes/{pk}/edit/", False, None, (LOGIN, 200, 404, 200, 200)),
    ("edit validation", "post", "/routes/{pk}/edit/validate/", True, "form", (LOGIN, 200, 404, 200, 200)),
    ("delete confirmation", "get", "/routes/{pk}/delete/", False, None, (LOGIN, 200, 404, 200, 200)),
    ("review queue", "get", "/reviews/", False, None, (LOGIN, 403, 403, 200, 200)),
    ("review count fragment", "get", "/reviews/count/", True, None, (LOGIN, 403, 403, 200, 200)),
    ("clusters", "get", "/clusters/", False, None, (LOGIN, 200, 200, 200, 200)),
    ("admin route list", "get", "/admin/routes/route/", False, None, (LOGIN, LOGIN, LOGIN, 200, 200)),
    ("admin route change", "get", "/admin/routes/route/{pk}/change/", False, None, (LOGIN, LOGIN, LOGIN, 200, 200)),
]
# Posts that change state: (name, url, htmx, data, expected statuses, roles whose request takes effect)
WRITES = [
    (
        "approve in place",
        "/reviews/{pk}/approve/",
        True,
        {"revision": "1", "comment": "ok"},
        (LOGIN, 403, 403, 200, 403),
        {"platform"},
    ),
    (
        "reject in place",
        "/reviews/{pk}/reject/",
        True,
        {"revision": "1", "comment": "no"},
        (LOGIN, 403, 403, 200, 403),
        {"platform"},
    ),
    ("delete", "/routes/{pk}/delete/", False, {}, (LOGIN, 302, 404, 302, 302), {"owner", "platform", "requester"}),
    (
        "admin approve action",
        "/admin/routes/route/",
        False,
        {"action": "approve_selected"},
        (LOGIN, LOGIN, LOGIN, 302, 302),
        {"platform"},
    ),
]


@pytest.fixture
def world(submit, shop, alice, bob, pat, quinn):
    for user in (pat, quinn):
        user.is_staff = True  # platform engineers use the admin too (load_demo does the same)
        user.save()
    shop.members.add(quinn)
    route = submit("cart", user=quinn)
    return {"route": route, "users": {"owner": alice, "other_team": bob, "platform": pat, "requester": quinn}}


def client_for(world, role) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def check(response, expected, role, name):
    if expected == LOGIN:
        if response.status_code == 200:
            assert "login" in response.get("HX-Redirect", ""), f"{name} as {role}: {response.status_code}"
        else:
            assert response.status_code == 302 and "login" in response["Location"], (
                f"{name} as {role}: {response.status_code} {response.get('Location')}"
            )
    else:
        assert response.status_code == expected, f"{name} as {role}: {response.status_code}, expected {expected}"


@pytest.mark.django_db
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
@pytest.mark.parametrize(("name", "method", "url", "htmx", "data", "expected"), MATRIX, ids=[row[0] for row in MATRIX])
def test_page_answers_each_role(world, form_data, role_index, name, method, url, htmx, data, expected):
    role = ROLES[role_index]
    client = client_for(world, role)
    path = url.format(pk=world["route"].pk)
    body = form_data(name="cart", path="/v2") if data == "form" else data
    response = getattr(client, method)(path, body or {}, **(HX if htmx else {}))
    check(response, expected[role_index], role, name)


@pytest.mark.django_db
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
@pytest.mark.parametrize(
    ("name", "url", "htmx", "data", "expected", "effective"), WRITES, ids=[row[0] for row in WRITES]
)
def test_state_changing_post_answers_each_role_and_only_takes_effect_when_allowed(
    world, role_index, name, url, htmx, data, expected, effective
):
    role = ROLES[role_index]
    route = world["route"]
    if "admin" in url:
        data = {**data, "_selected_action": [str(route.pk)]}
    before = (route.approval, route.deletion_requested_at)

    response = client_for(world, role).post(url.format(pk=route.pk), data, **(HX if htmx else {}))

    check(response, expected[role_index], role, name)
    route = Route.objects.get(pk=route.pk)
    changed = (route.approval, route.deletion_requested_at) != before
    assert changed == (role in effective), f"{name} as {role}: changed={changed}"
