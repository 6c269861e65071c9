import pytest
from django.core.exceptions import PermissionDenied

from core.models import AuditEvent
from routes import claims, services
from routes.models import HostClaim


@pytest.mark.django_db
def test_deleting_an_applied_route_asks_the_reconciler(approved_route, alice):
    route = services.request_deletion(approved_route, user=alice)

    assert route.deletion_requested_at is not None and route.deleted_at is None
    assert AuditEvent.objects.filter(verb="delete", object_id=str(route.pk)).exists()


@pytest.mark.django_db
def test_deleting_a_route_does_not_release_its_host_claim(approved_route, alice, bob, other_team, pat, submit):
    services.request_deletion(approved_route, user=alice)

    assert HostClaim.objects.get(host="cart.shop.example.com").team.slug == "shop"
    other_team.domains = ["shop.example.com"]
    other_team.save()
    with pytest.raises(services.PolicyError) as exc:
        submit("takeover", user=bob, team=other_team, namespace="blog")
    assert exc.value.violations[0].field == "host"


@pytest.mark.django_db
def test_other_team_cannot_delete(approved_route, bob):
    with pytest.raises(PermissionDenied):
        services.request_deletion(approved_route, user=bob)


@pytest.mark.django_db
def test_release_claim_only_when_unused_and_by_owner_or_platform(approved_route, alice, bob, pat):
    claim = HostClaim.objects.get()
    with pytest.raises(services.PolicyError, match="still used"):
        claims.release_claim(claim, user=alice)
    approved_route.__class__.objects.filter(pk=approved_route.pk).update(deleted_at=approved_route.created_at)
    with pytest.raises(PermissionDenied):
        claims.release_claim(claim, user=bob)

    claims.release_claim(claim, user=pat)

    assert not HostClaim.objects.exists()
    assert AuditEvent.objects.filter(verb="release").exists()
