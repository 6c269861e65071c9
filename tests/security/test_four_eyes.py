"""Four eyes: nobody approves (or rejects) a change they wrote any revision of, and auto-approval never applies
to a platform engineer's change (docs/security.md, "Four eyes").

The attack: alice (team shop) requests r1; pat, a platform engineer, edits it (r2); alice edits again (r3, which
still carries pat's change, since an edit starts from the latest revision); pat approves r3. Every door is tried:
the service, the API, the review queue page and the admin.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.models import AuditEvent
from routes import permissions, services
from routes.domain.values import Backend
from routes.models import Review
from tests.api.conftest import url
from tests.factories import spec

pytestmark = pytest.mark.django_db

PLATFORM_BACKEND = Backend(service_name="platform-chosen", service_port=8080)


@pytest.fixture
def carried(submit, alice, pat):
    """r1 by alice, r2 by pat (a new backend), r3 by alice (a new path, pat's backend carried along)."""
    route = submit()
    route = services.edit_route(route, user=pat, spec=spec(backend=PLATFORM_BACKEND))
    route = services.edit_route(route, user=alice, spec=spec(path="/v2", backend=PLATFORM_BACKEND))
    assert route.revision == 3 and route.revision_obj(3).spec["backend"]["service_name"] == "platform-chosen"
    return route


def assert_still_pending(route, revision=3):
    route.refresh_from_db()
    assert (route.approval, route.revision, route.approved_revision) == ("pending", revision, None)
    assert not Review.objects.filter(route=route).exists()
    assert not AuditEvent.objects.filter(object_id=str(route.pk), verb__in=["approve", "reject"]).exists()


def test_an_engineer_who_wrote_an_earlier_revision_of_the_change_cannot_approve_it(carried, pat):
    with pytest.raises(PermissionDenied, match="You wrote r2, which is part of the change since the route was created"):
        services.approve_route(carried, user=pat, revision=3)
    assert_still_pending(carried)


def test_nor_reject_it(carried, pat):
    with pytest.raises(PermissionDenied, match="You wrote r2"):
        services.reject_route(carried, user=pat, comment="no", revision=3)
    assert_still_pending(carried)


def test_another_engineer_approves_the_change(carried, quinn):
    route = services.approve_route(carried, user=quinn, revision=3)

    assert (route.approval, route.approved_revision) == ("approved", 3)
    assert Review.objects.get(route=route).reviewer == quinn


def test_revisions_up_to_the_last_approved_one_are_not_part_of_the_change(submit, alice, pat, quinn):
    route = services.edit_route(submit(), user=pat, spec=spec(backend=PLATFORM_BACKEND))
    route = services.approve_route(route, user=quinn, revision=2)  # pat's r2 was reviewed by someone else
    route = services.edit_route(route, user=alice, spec=spec(path="/v2", backend=PLATFORM_BACKEND))

    assert permissions.change_authors(route, 3) == {3: alice.pk}
    route = services.approve_route(route, user=pat, revision=3)
    assert (route.approval, route.approved_revision) == ("approved", 3)


def test_a_rejected_revision_since_the_last_approval_is_still_part_of_the_change(approved_route, alice, pat, quinn):
    route = services.edit_route(approved_route, user=pat, spec=spec(backend=PLATFORM_BACKEND))
    route = services.reject_route(route, user=quinn, comment="not like this", revision=2)
    route = services.edit_route(route, user=alice, spec=spec(path="/v2", backend=PLATFORM_BACKEND))

    assert permissions.change_authors(route, 3) == {2: pat.pk, 3: alice.pk}
    with pytest.raises(PermissionDenied, match="You wrote r2, which is part of the change since r1, the last approved"):
        services.approve_route(route, user=pat, revision=3)


def test_the_author_of_the_pending_revision_itself_is_told_they_requested_it(carried, pat):
    route = services.edit_route(carried, user=pat, spec=spec(path="/v3", backend=PLATFORM_BACKEND))

    assert permissions.review_refusal(pat, route, 4) == (
        "You requested this revision, so another platform engineer has to review it."
    )


def test_developers_never_review(carried, alice, bob):
    for user in (alice, bob):
        assert permissions.review_refusal(user, carried, 3) == "Only platform engineers review routes."


# The API, for every role


@pytest.mark.parametrize("verb", ["approve", "reject"])
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("owner", 403),
        ("other_team", 404),
        ("author", 403),
        ("reviewer", 200),
    ],
)
def test_api_refuses_every_author_of_the_change(api, carried, alice, bob, pat, quinn, verb, role, status):
    user = {"anonymous": None, "owner": alice, "other_team": bob, "author": pat, "reviewer": quinn}[role]

    response = api(user).post(url(carried, verb), {"comment": "checked", "revision": 3}, format="json")

    assert response.status_code == status, response.content
    if role == "author":
        assert response.json() == {
            "detail": "You wrote r2, which is part of the change since the route was "
            "created; another platform engineer has to review it."
        }
    if role == "owner":
        assert "Only platform engineers" in response.json()["detail"]
    if status == 200:
        assert response.json()["approval"] == ("approved" if verb == "approve" else "rejected")
        assert AuditEvent.objects.filter(object_id=str(carried.pk), verb=verb, actor_name="quinn").exists()
    else:
        assert_still_pending(carried)


def test_api_approval_of_own_latest_revision_still_answers_403(api, submit, pat):
    route = submit(user=pat)
    response = api(pat).post(url(route, "approve"), {}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == "You requested this revision, so another platform engineer has to review it."


# The review queue


def decide(client, route, verb, *, htmx=True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(reverse(f"routes:{verb}", args=[route.pk]), {"comment": "checked", "revision": 3}, **headers)


def test_queue_tells_an_author_why_they_cannot_review_and_offers_no_buttons(login, carried, pat, quinn):
    html = login(pat).get(reverse("routes:review_queue")).content.decode()

    item = html[html.index(f'id="review-{carried.pk}"') :]
    item = item[: item.index("</article>")]
    assert "You wrote r2, which is part of the change since the route was created" in item
    assert "written by alice, pat" in item
    assert reverse("routes:approve", args=[carried.pk]) not in item
    other = login(quinn).get(reverse("routes:review_queue")).content.decode()
    assert reverse("routes:approve", args=[carried.pk]) in other


@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_queue_refuses_an_author_in_place(login, carried, pat, verb):
    response = decide(login(pat), carried, verb)

    body = response.content.decode()
    assert response.status_code == 403 and body.lstrip().startswith("<article")
    assert 'role="alert"' in body and "You wrote r2" in body
    assert_still_pending(carried)


def test_queue_refuses_an_author_without_htmx_with_a_page_that_says_why(login, carried, pat):
    response = decide(login(pat), carried, "approve", htmx=False)

    assert response.status_code == 403
    assert "You wrote r2, which is part of the change" in response.content.decode()
    assert_still_pending(carried)


@pytest.mark.parametrize(("role", "status"), [("owner", 403), ("other_team", 403), ("reviewer", 200)])
def test_queue_decisions_by_role(login, carried, alice, bob, quinn, role, status):
    user = {"owner": alice, "other_team": bob, "reviewer": quinn}[role]
    response = decide(login(user), carried, "approve")

    assert response.status_code == status
    carried.refresh_from_db()
    assert carried.approval == ("approved" if status == 200 else "pending")


def test_route_page_offers_review_only_to_who_may_review(login, carried, pat, quinn):
    review_link = reverse("routes:review_queue") + f"#review-{carried.pk}"
    assert review_link not in login(pat).get(carried.get_absolute_url()).content.decode()
    assert review_link in login(quinn).get(carried.get_absolute_url()).content.decode()


# The admin


def admin_approve(client, route):
    return client.post(
        "/admin/routes/route/", {"action": "approve_selected", "_selected_action": [str(route.pk)]}, follow=True
    )


def test_admin_approve_action_refuses_an_author_of_the_change(carried, pat, admin_client_as):
    page = admin_approve(admin_client_as(pat), carried).content.decode()

    assert "You wrote r2, which is part of the change" in page
    assert_still_pending(carried)


def test_admin_approve_action_lets_another_engineer_approve(carried, quinn, admin_client_as):
    admin_approve(admin_client_as(quinn), carried)

    carried.refresh_from_db()
    assert carried.approval == "approved" and carried.approved_revision == 3


# Auto-approval


@pytest.fixture
def auto(shop):
    shop.auto_approve = True
    shop.save()
    return shop


def test_auto_approval_still_approves_a_developers_clean_request(auto, submit):
    route = submit()
    assert route.approval == "approved" and Review.objects.get(route=route).automatic


def test_auto_approval_never_applies_to_a_platform_engineers_request(auto, submit, pat):
    route = submit(user=pat)

    assert (route.approval, route.approved_revision) == ("pending", None)
    assert not Review.objects.filter(route=route).exists()


def test_auto_approval_never_applies_to_a_platform_engineers_wildcard(auto, submit, pat):
    route = submit("wild", user=pat, host="*.shop.example.com")

    assert route.approval == "pending" and not Review.objects.filter(route=route).exists()


def test_auto_approval_never_applies_to_a_platform_engineers_edit(auto, submit, pat):
    route = services.edit_route(submit(), user=pat, spec=spec(backend=PLATFORM_BACKEND))

    assert (route.revision, route.approval, route.approved_revision) == (2, "pending", 1)


def test_auto_approval_never_applies_to_an_edit_that_carries_a_platform_engineers_change(auto, submit, alice, pat):
    route = services.edit_route(submit(), user=pat, spec=spec(backend=PLATFORM_BACKEND))
    route = services.edit_route(route, user=alice, spec=spec(path="/v2", backend=PLATFORM_BACKEND))

    assert (route.revision, route.approval, route.approved_revision) == (3, "pending", 1)


def test_auto_approval_never_applies_to_a_platform_engineers_api_request(api, auto, pat):
    from tests.api.conftest import route_body

    response = api(pat).post(url(), route_body(host="*.shop.example.com"), format="json")

    assert response.status_code == 201 and response.json()["approval"] == "pending"
