"""A host claim is held while anything live uses it (docs/security.md, "Host claims").

The attack: team shop's approved route serves cart.shop.example.com; a member edits the route onto another host
(pending), then releases the claim, which the old check allowed because it looked at the pending revision; a
rival team whose domains also cover the host then claims and publishes it on another cluster.
"""

import pytest
from django.core.exceptions import PermissionDenied

from clusters.models import Cluster
from core.models import AuditEvent
from routes import claims, services
from routes.models import HostClaim, Route
from tests.api.conftest import route_body, url
from tests.factories import make_team, make_user, spec

pytestmark = pytest.mark.django_db

HOST = "cart.shop.example.com"
CLAIM_URL = f"/api/v1/host-claims/{HOST}/"


@pytest.fixture
def moved(approved_route, alice):
    """Revision 1 (approved) serves HOST; revision 2, pending, asks for another host."""
    route = services.edit_route(approved_route, user=alice, spec=spec(host="cart2.shop.example.com"))
    assert (route.host, route.approved_revision, route.revision) == ("cart2.shop.example.com", 1, 2)
    return route


def assert_held():
    claim = HostClaim.objects.get(host=HOST)
    assert claim.team.slug == "shop"
    assert not AuditEvent.objects.filter(verb="release").exists()
    return claim


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("owner", 409), ("other_team", 404), ("platform", 409)]
)
def test_api_refuses_release_while_the_approved_revision_serves_the_host(api, moved, alice, bob, pat, role, status):
    user = {"anonymous": None, "owner": alice, "other_team": bob, "platform": pat}[role]

    response = api(user).delete(CLAIM_URL)

    assert response.status_code == status, response.content
    if status == 409:
        assert response.json() == {
            "host": [
                (
                    f'Host "{HOST}" is still used by route prod-eu/shop/cart (r1 approved); it can be released once no '
                    "route serves or requests it (delete the routes, or move them to another host and let the change be "
                    "applied)."
                )
            ]
        }
    assert_held()


def test_the_rival_team_cannot_take_the_host_on_another_cluster(api, moved, alice, pat, quinn, cluster):
    elsewhere = Cluster.objects.create(name="prod-us", mode="directory")
    rival = make_team("rival", domains=["example.com"], namespaces=[(elsewhere, "rival")])
    mallory = make_user("mallory", teams=[rival])
    assert api(alice).delete(CLAIM_URL).status_code == 409

    response = api(mallory).post(
        url(), route_body(name="grab", team="rival", cluster="prod-us", namespace="rival"), format="json"
    )

    assert response.status_code == 409 and 'claimed by team "shop"' in response.json()["host"][0]
    assert not Route.objects.filter(team=rival).exists()


def test_an_applied_revision_holds_the_host_until_the_new_one_is_applied(moved, pat, quinn, alice):
    route = services.approve_route(moved, user=quinn, revision=2)  # r2 approved, the cluster still runs r1
    Route.objects.filter(pk=route.pk).update(applied_revision=1)

    with pytest.raises(services.PolicyError, match=r"prod-eu/shop/cart \(r1 applied\)"):
        claims.release_claim(HostClaim.objects.get(host=HOST), user=alice)
    assert_held()

    Route.objects.filter(pk=route.pk).update(applied_revision=2)  # the worker applied r2
    claims.release_claim(HostClaim.objects.get(host=HOST), user=alice)
    assert not HostClaim.objects.filter(host=HOST).exists()
    assert AuditEvent.objects.get(verb="release").actor_name == "alice"


def test_a_route_being_deleted_holds_the_host_until_its_objects_are_gone(approved_route, alice):
    services.request_deletion(approved_route, user=alice)

    with pytest.raises(services.PolicyError, match="still used by route"):
        claims.release_claim(HostClaim.objects.get(host=HOST), user=alice)

    Route.objects.filter(pk=approved_route.pk).update(deleted_at=approved_route.created_at)
    claims.release_claim(HostClaim.objects.get(host=HOST), user=alice)
    assert not HostClaim.objects.filter(host=HOST).exists()


def test_a_pending_request_for_the_host_holds_it_too(approved_route, alice, submit):
    submit("cart-api", path="/api")  # pending, same host
    Route.objects.filter(pk=approved_route.pk).update(deleted_at=approved_route.created_at)

    with pytest.raises(services.PolicyError, match=r"prod-eu/shop/cart-api \(r1 pending\)"):
        claims.release_claim(HostClaim.objects.get(host=HOST), user=alice)


def test_a_rejected_latest_revision_does_not_hold_the_host(approved_route, alice, pat):
    route = services.edit_route(approved_route, user=alice, spec=spec(host="cart2.shop.example.com"))
    route = services.approve_route(route, user=pat, revision=2)
    Route.objects.filter(pk=route.pk).update(applied_revision=2)
    route = services.edit_route(route, user=alice, spec=spec(host=HOST))
    services.reject_route(route, user=pat, comment="stay on cart2", revision=3)

    claims.release_claim(HostClaim.objects.get(host=HOST), user=alice)
    assert not HostClaim.objects.filter(host=HOST).exists()


def test_release_of_an_unused_host_by_role(api, approved_route, alice, bob, pat):
    route = services.edit_route(approved_route, user=alice, spec=spec(host="cart2.shop.example.com"))
    route = services.approve_route(route, user=pat, revision=2)
    Route.objects.filter(pk=route.pk).update(applied_revision=2)

    assert api(None).delete(CLAIM_URL).status_code == 401
    assert api(bob).delete(CLAIM_URL).status_code == 404
    assert api(alice).delete(CLAIM_URL).status_code == 204
    assert not HostClaim.objects.filter(host=HOST).exists()
    event = AuditEvent.objects.get(verb="release")
    assert (event.actor_name, event.before) == ("alice", {"host": HOST, "team": "shop"})


def test_other_teams_cannot_release_through_the_service(moved, bob):
    with pytest.raises(PermissionDenied):
        claims.release_claim(HostClaim.objects.get(host=HOST), user=bob)


# The admin


def test_admin_offers_no_release_while_the_approved_revision_serves_the_host(moved, pat, admin_client_as):
    client = admin_client_as(pat)
    claim = HostClaim.objects.get(host=HOST)

    assert client.get(f"/admin/routes/hostclaim/{claim.pk}/delete/").status_code == 403
    assert client.post(f"/admin/routes/hostclaim/{claim.pk}/delete/", {"post": "yes"}).status_code == 403
    response = client.post(
        "/admin/routes/hostclaim/", {"action": "delete_selected", "_selected_action": [claim.pk], "post": "yes"}
    )
    assert response.status_code == 403
    assert_held()


def test_admin_release_that_loses_a_race_says_why_and_keeps_the_claim(moved, pat, admin_client_as, monkeypatch):
    from routes import admin as routes_admin

    client = admin_client_as(pat)
    claim = HostClaim.objects.get(host=HOST)
    # The page was allowed (nothing seemed to use the host), but release_claim looks again under its lock.
    monkeypatch.setattr(routes_admin, "routes_using_host", lambda host: [])

    response = client.post(f"/admin/routes/hostclaim/{claim.pk}/delete/", {"post": "yes"}, follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/admin/routes/hostclaim/{claim.pk}/change/"
    assert "still used by route prod-eu/shop/cart (r1 approved)" in page and "deleted successfully" not in page
    assert_held()
