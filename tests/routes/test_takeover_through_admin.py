"""The admin offers no way around the host rules: routes and claims cannot be added or re-pointed there, and
releasing a claim goes through the same rule and audit as everywhere else."""

import pytest

from core.models import AuditEvent
from routes.models import HostClaim, Route

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_client_as, pat):
    return admin_client_as(pat)


def test_routes_and_claims_cannot_be_added_in_the_admin(staff, approved_route):
    assert staff.get("/admin/routes/route/add/").status_code == 403
    assert staff.post("/admin/routes/hostclaim/add/", {"host": "cart.shop.example.com", "team": 1}).status_code == 403


def test_a_claim_cannot_be_moved_to_another_team_in_the_admin(staff, approved_route, other_team):
    claim = HostClaim.objects.get(host="cart.shop.example.com")
    staff.post(f"/admin/routes/hostclaim/{claim.pk}/change/", {"host": "cart.shop.example.com", "team": other_team.pk})
    assert HostClaim.objects.get(pk=claim.pk).team == approved_route.team


def test_a_route_host_cannot_be_changed_in_the_admin(staff, approved_route):
    staff.post(f"/admin/routes/route/{approved_route.pk}/change/", {"host": "other.example.com"})
    assert Route.objects.get(pk=approved_route.pk).host == "cart.shop.example.com"


def test_a_claim_in_use_cannot_be_deleted_in_the_admin(staff, approved_route):
    claim = HostClaim.objects.get(host="cart.shop.example.com")
    assert staff.post(f"/admin/routes/hostclaim/{claim.pk}/delete/", {"post": "yes"}).status_code == 403
    response = staff.post(
        "/admin/routes/hostclaim/", {"action": "delete_selected", "_selected_action": [claim.pk], "post": "yes"}
    )
    assert response.status_code == 403
    assert HostClaim.objects.filter(pk=claim.pk).exists()


def test_releasing_a_free_claim_in_the_admin_is_audited(staff, approved_route, alice, pat):
    from routes import services

    services.request_deletion(approved_route, user=alice)
    Route.objects.filter(pk=approved_route.pk).update(deleted_at=approved_route.created_at)
    claim = HostClaim.objects.get(host="cart.shop.example.com")

    response = staff.post(f"/admin/routes/hostclaim/{claim.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302 and not HostClaim.objects.filter(pk=claim.pk).exists()
    event = AuditEvent.objects.filter(verb="release").get()
    assert (event.actor_name, event.before) == ("pat", {"host": "cart.shop.example.com", "team": "shop"})
