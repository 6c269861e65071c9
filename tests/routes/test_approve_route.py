import pytest
from django.core.exceptions import PermissionDenied

from core.models import AuditEvent
from routes import services
from routes.models import HostClaim, Review


@pytest.mark.django_db
def test_platform_engineer_approves_pending_revision_and_claims_host(submit, pat):
    route = services.approve_route(submit(), user=pat, comment="looks right")

    assert (route.approval, route.approved_revision, route.applied_revision) == ("approved", 1, None)
    assert route.sync == "OutOfSync" and route.health == "Progressing"
    assert HostClaim.objects.get(host="cart.shop.example.com").team.slug == "shop"
    review = Review.objects.get(route=route)
    assert (review.decision, review.reviewer, review.comment) == ("approved", pat, "looks right")


@pytest.mark.django_db
def test_requester_cannot_approve_own_revision(submit, pat):
    route = submit(user=pat)

    with pytest.raises(PermissionDenied, match="another platform engineer"):
        services.approve_route(route, user=pat)
    route.refresh_from_db()
    assert route.approval == "pending" and route.approved_revision is None


@pytest.mark.django_db
def test_requester_cannot_reject_own_revision(submit, pat):
    with pytest.raises(PermissionDenied):
        services.reject_route(submit(user=pat), user=pat, comment="no")


@pytest.mark.django_db
def test_developer_cannot_approve(submit, alice, bob):
    route = submit()
    for user in (alice, bob):
        with pytest.raises(PermissionDenied, match="Only platform engineers"):
            services.approve_route(route, user=user)


@pytest.mark.django_db
def test_reject_needs_a_comment(submit, pat):
    with pytest.raises(services.PolicyError) as exc:
        services.reject_route(submit(), user=pat, comment="  ")
    assert exc.value.violations[0].field == "comment"


@pytest.mark.django_db
def test_rejected_first_revision_leaves_nothing_live(submit, pat):
    route = services.reject_route(submit(), user=pat, comment="wrong port")

    assert route.approval == "rejected" and route.approved_revision is None
    assert not HostClaim.objects.exists()
    assert Review.objects.get(route=route).comment == "wrong port"


@pytest.mark.django_db
def test_an_already_decided_revision_cannot_be_decided_again(approved_route, quinn):
    with pytest.raises(services.PolicyError, match="not the pending revision"):
        services.approve_route(approved_route, user=quinn)


@pytest.mark.django_db
def test_approval_rechecks_claims_made_since_submission(submit, pat, quinn, bob, other_team):
    """Host claims span clusters: a claim made on another cluster after submission blocks approval."""
    from clusters.models import Cluster
    from teams.models import TeamNamespace

    us = Cluster.objects.create(name="prod-us", mode="directory")
    TeamNamespace.objects.create(team=other_team, cluster=us, namespace="blog")
    other_team.domains = ["shop.example.com"]
    other_team.save()
    mine = submit()
    theirs = submit("cart-blog", user=bob, team=other_team, namespace="blog", on=us)
    services.approve_route(theirs, user=pat)

    with pytest.raises(services.PolicyError) as exc:
        services.approve_route(mine, user=quinn)
    assert exc.value.is_conflict
    assert 'claimed by team "blog"' in str(exc.value)


@pytest.mark.django_db
def test_auto_approve_team_policy_approves_a_clean_request(submit, shop):
    shop.auto_approve = True
    shop.save()

    route = submit()

    assert route.approval == "approved" and route.approved_revision == 1
    review = Review.objects.get(route=route)
    assert review.automatic and review.reviewer is None


@pytest.mark.django_db
def test_every_decision_writes_an_audit_event(submit, pat):
    route = submit()
    services.approve_route(route, user=pat, comment="fine")

    verbs = list(AuditEvent.objects.filter(object_id=str(route.pk)).values_list("verb", "actor_name"))
    assert ("create", "alice") in verbs and ("approve", "pat") in verbs
    claim = AuditEvent.objects.get(verb="claim")
    assert claim.after["host"] == "cart.shop.example.com"
