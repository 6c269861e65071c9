"""A change to a team's domains, namespaces or flags may not leave its live routes outside the team's policy:
it is refused with a 409 naming the routes, through the API and the admin (docs/security.md, "Team policy
changes")."""

import json

import pytest

from core.errors import ConflictError
from core.models import AuditEvent
from routes import services
from routes.domain.values import TLS, Backend
from routes.models import Route
from teams import services as team_services
from teams.models import Team
from tests.factories import spec

pytestmark = pytest.mark.django_db

LIVE = "Route prod-eu/shop/cart (r1, live) would be outside the team's policy: "
FIRST_THEN = " Delete or change the route first, then change the team."


def assert_unchanged(team):
    stored = Team.objects.get(pk=team.pk)
    assert stored.domains == ["shop.example.com"]
    assert list(stored.namespaces.values_list("cluster__name", "namespace")) == [("prod-eu", "shop")]
    assert not AuditEvent.objects.filter(object_type="team", verb="edit").exists()


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("owner", 403), ("other_team", 403), ("platform", 409)]
)
def test_api_refuses_domains_that_leave_a_live_route_outside(api, approved_route, shop, alice, bob, pat, role, status):
    user = {"anonymous": None, "owner": alice, "other_team": bob, "platform": pat}[role]

    response = api(user).patch("/api/v1/teams/shop/", {"domains": ["other.example.com"]}, format="json")

    assert response.status_code == status
    if status == 409:
        assert response.json() == {
            "domains": [
                LIVE
                + 'Host "cart.shop.example.com" is outside the domains of team "shop": use "other.example.com" or a '
                "name under one of them." + FIRST_THEN
            ]
        }
    assert_unchanged(shop)


def test_api_refuses_removing_the_namespace_of_a_live_route(api, approved_route, shop, pat):
    response = api(pat).patch("/api/v1/teams/shop/", {"namespaces": []}, format="json")

    assert response.status_code == 409
    [message] = response.json()["namespaces"]
    assert message.startswith(LIVE + 'Team "shop" has no namespace on cluster "prod-eu"')
    assert_unchanged(shop)


def test_the_finding_replacing_namespaces_and_domains_at_once_names_every_rule(api, approved_route, shop, pat):
    response = api(pat).patch(
        "/api/v1/teams/shop/", {"namespaces": [], "domains": ["other.example.com"]}, format="json"
    )

    assert response.status_code == 409 and set(response.json()) == {"domains", "namespaces"}
    assert_unchanged(shop)


def test_flags_a_live_route_relies_on_cannot_be_taken_away(api, submit, shop, pat, quinn):
    shop.allow_node_port = shop.allow_plain_http = True
    shop.save()
    node_port = Backend(
        service_name="cart", service_port=8080, target_port=8080, selector={"app": "cart"}, service_type="NodePort"
    )
    services.approve_route(submit(backend=node_port, tls=TLS(mode="none")), user=quinn)

    response = api(pat).patch(
        "/api/v1/teams/shop/", {"allow_node_port": False, "allow_plain_http": False}, format="json"
    )

    assert response.status_code == 409
    assert set(response.json()) == {"allow_node_port", "allow_plain_http"}
    assert "may not use NodePort" in response.json()["allow_node_port"][0]
    stored = Team.objects.get(pk=shop.pk)
    assert stored.allow_node_port and stored.allow_plain_http


def test_an_applied_revision_counts_until_the_new_one_is_applied(api, approved_route, alice, pat, quinn, shop):
    shop.domains = ["shop.example.com", "example.org"]
    shop.save()
    route = services.edit_route(approved_route, user=alice, spec=spec(host="cart.example.org"))
    services.approve_route(route, user=quinn, revision=2)
    Route.objects.filter(pk=route.pk).update(applied_revision=1)  # the cluster still serves r1

    response = api(pat).patch("/api/v1/teams/shop/", {"domains": ["example.org"]}, format="json")
    assert response.status_code == 409 and "(r1, live)" in response.json()["domains"][0]

    Route.objects.filter(pk=route.pk).update(applied_revision=2)
    assert api(pat).patch("/api/v1/teams/shop/", {"domains": ["example.org"]}, format="json").status_code == 200


def test_changes_that_keep_live_routes_inside_are_saved(api, approved_route, submit, shop, pat, alice):
    submit("pending", host="pending.shop.example.com")  # a pending request is judged again when reviewed
    gone = services.approve_route(submit("gone", host="gone.shop.example.com"), user=pat)
    services.request_deletion(gone, user=alice)
    Route.objects.filter(pk=gone.pk).update(deleted_at=gone.created_at)

    response = api(pat).patch(
        "/api/v1/teams/shop/", {"domains": ["cart.shop.example.com", "example.org"]}, format="json"
    )

    assert response.status_code == 200
    assert Team.objects.get(pk=shop.pk).domains == ["cart.shop.example.com", "example.org"]


def test_a_rule_the_route_already_broke_does_not_block_an_unrelated_change(api, approved_route, shop, pat):
    Team.objects.filter(pk=shop.pk).update(domains=["legacy.example.com"])  # narrowed before this rule existed

    response = api(pat).patch(
        "/api/v1/teams/shop/", {"name": "Shop and more", "domains": ["legacy.example.com"]}, format="json"
    )

    assert response.status_code == 200


def test_the_service_refuses_for_every_caller(approved_route, shop):
    shop.domains = ["other.example.com"]
    with pytest.raises(ConflictError) as exc:
        team_services.update_team(shop, user=None)
    assert exc.value.message_dict["domains"][0].startswith(LIVE)


# The admin


def team_form(team, cluster, *, domains='["shop.example.com"]', namespace_rows=(("shop", False),)):
    row = team.namespaces.get()
    data = {
        "slug": team.slug,
        "name": team.name,
        "domains": domains,
        "namespaces-TOTAL_FORMS": str(len(namespace_rows)),
        "namespaces-INITIAL_FORMS": "1",
        "namespaces-MIN_NUM_FORMS": "0",
        "namespaces-MAX_NUM_FORMS": "1000",
    }
    for i, (namespace, delete) in enumerate(namespace_rows):
        data.update(
            {
                f"namespaces-{i}-team": str(team.pk),
                f"namespaces-{i}-cluster": str(cluster.pk),
                f"namespaces-{i}-namespace": namespace,
            }
        )
        if i == 0:
            data["namespaces-0-id"] = str(row.pk)
        if delete:
            data[f"namespaces-{i}-DELETE"] = "on"
    return data


def test_admin_refuses_domains_that_leave_a_live_route_outside(admin_client_as, approved_route, shop, cluster, pat):
    page = admin_client_as(pat).post(
        f"/admin/teams/team/{shop.pk}/change/", team_form(shop, cluster, domains=json.dumps(["other.example.com"]))
    )

    assert page.status_code == 200
    [message] = page.context["adminform"].form.errors["domains"]
    assert message.startswith(LIVE + 'Host "cart.shop.example.com" is outside the domains of team "shop"')
    assert_unchanged(shop)


def test_admin_refuses_deleting_the_namespace_row_of_a_live_route(admin_client_as, approved_route, shop, cluster, pat):
    page = admin_client_as(pat).post(
        f"/admin/teams/team/{shop.pk}/change/",
        team_form(shop, cluster, namespace_rows=(("shop", True), ("shop-next", False))),
    )

    assert page.status_code == 200
    [message] = page.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert message == (
        LIVE + 'Team "shop" may not use namespace "shop" on cluster "prod-eu"; allowed there: "shop-next".' + FIRST_THEN
    )
    assert_unchanged(shop)


def test_admin_saves_a_change_that_keeps_live_routes_inside(admin_client_as, approved_route, shop, cluster, pat):
    response = admin_client_as(pat).post(
        f"/admin/teams/team/{shop.pk}/change/",
        team_form(shop, cluster, domains=json.dumps(["shop.example.com", "example.org"])),
    )

    assert response.status_code == 302
    assert Team.objects.get(pk=shop.pk).domains == ["shop.example.com", "example.org"]
