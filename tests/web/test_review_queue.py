"""The review queue: platform engineers approve or reject pending revisions in place, never their own."""

import pytest
from django.urls import reverse

from routes import services
from routes.domain.values import Backend
from routes.models import Review, Route
from tests.factories import spec


def decide(client, route, verb, comment="", htmx=True, revision=None):
    data = {"comment": comment, "revision": revision or route.revision}
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": f"review-{route.pk}"} if htmx else {}
    return client.post(reverse(f"routes:{verb}", args=[route.pk]), data, **headers)


@pytest.mark.django_db
def test_queue_lists_pending_revisions_with_their_diff_against_the_live_one(login, pat, alice, approved_route, submit):
    services.edit_route(approved_route, user=alice, spec=spec(backend=Backend(service_name="cart", service_port=9090)))
    new = submit("api", host="api.shop.example.com")

    html = login(pat).get(reverse("routes:review_queue")).content.decode()

    assert f'id="review-{approved_route.pk}"' in html and f'id="review-{new.pk}"' in html
    assert "--- live r1" in html and "+++ pending r2" in html
    assert '<span class="diff-add">+  service_port: 9090</span>' in html
    assert "null" not in html  # unset fields are left out of the diff
    assert "Policy and conflict checks pass." in html
    assert "2 revisions wait for review" in html


@pytest.mark.django_db
def test_queue_shows_conflicts_and_blocks_approval_while_checks_fail(login, pat, cluster, submit):
    route = submit()
    # Since the request, the last sync found an Ingress Portico does not manage serving the same host and path.
    cluster.foreign_ingresses = [
        {"namespace": "legacy", "name": "old-cart", "host": "cart.shop.example.com", "path": "/"}
    ]
    cluster.save()

    html = login(pat).get(reverse("routes:review_queue")).content.decode()

    item = html[html.index(f'id="review-{route.pk}"') :]
    item = item[: item.index("</article>")]
    assert "legacy/old-cart" in item and 'class="tag tag-conflict">conflict<' in item
    assert "Cannot be approved while checks fail." in item and "disabled" in item


@pytest.mark.django_db
def test_approve_in_place_answers_with_the_decided_item_only(login, pat, submit):
    route = submit()

    response = decide(login(pat), route, "approve", comment="looks fine")

    body = response.content.decode()
    assert response.status_code == 200 and "HX-Request" in response["Vary"]
    assert body.lstrip().startswith("<article") and "<html" not in body
    assert "Revision 1 approved by you." in body and "follow its status" in body
    route.refresh_from_db()
    assert route.approval == "approved" and route.approved_revision == 1
    assert Review.objects.get(route=route).comment == "looks fine"


@pytest.mark.django_db
def test_reject_in_place_keeps_the_comment_for_the_requester(login, pat, alice, submit):
    route = submit()

    body = decide(login(pat), route, "reject", comment="Use the api host").content.decode()

    assert "Revision 1 rejected by you." in body and "alice sees your comment" in body
    route.refresh_from_db()
    assert route.approval == "rejected"
    assert "Use the api host" in login(alice).get(route.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_reject_without_a_comment_shows_the_reason_in_the_item_and_changes_nothing(login, pat, submit):
    route = submit()

    body = decide(login(pat), route, "reject", comment="  ").content.decode()

    assert 'role="alert"' in body and "Say why the revision is rejected" in body
    assert 'name="comment"' in body  # the form is still there to try again
    route.refresh_from_db()
    assert route.approval == "pending"


@pytest.mark.django_db
def test_deciding_a_revision_that_is_no_longer_pending_reports_it(login, pat, quinn, submit):
    route = submit()
    services.approve_route(route, user=quinn)

    body = decide(login(pat), route, "reject", comment="too late", revision=1).content.decode()

    assert "is not the pending revision" in body
    assert Route.objects.get(pk=route.pk).approval == "approved"


@pytest.mark.django_db
@pytest.mark.parametrize("revision", ["²", "١", "0", "x", "9" * 5000, str(2**31)])
def test_a_revision_that_is_not_a_revision_number_is_reported_and_nothing_is_decided(login, pat, submit, revision):
    route = submit()

    body = decide(login(pat), route, "approve", revision=revision).content.decode()

    assert "is not a revision number" in body
    route.refresh_from_db()
    assert route.approval == "pending" and not Review.objects.exists()


@pytest.mark.django_db
def test_without_htmx_a_bad_revision_number_redirects_back_with_a_message(login, pat, submit):
    response = decide(login(pat), submit(), "approve", htmx=False, revision="²")

    assert response.status_code == 302
    assert not Review.objects.exists()


@pytest.mark.django_db
def test_without_htmx_deciding_redirects_back_to_the_queue_with_a_message(login, pat, submit):
    route = submit()
    client = login(pat)

    response = decide(client, route, "approve", htmx=False)

    assert response.status_code == 302 and response["Location"] == reverse("routes:review_queue")
    assert "approved" in client.get(reverse("routes:review_queue")).content.decode()


@pytest.mark.django_db
def test_requester_cannot_approve_their_own_revision(login, pat, quinn, shop, cluster):
    shop.members.add(pat)
    route = services.submit_route(
        user=pat, team=shop, cluster=cluster, namespace="shop", name="own", spec=spec(host="own.shop.example.com")
    )
    client = login(pat)

    html = client.get(reverse("routes:review_queue")).content.decode()
    item = html[html.index(f'id="review-{route.pk}"') :]
    assert "another platform engineer has to review it" in item and "Approve r1" not in item[: item.index("</article>")]
    assert decide(client, route, "approve").status_code == 403
    assert decide(client, route, "reject", comment="no").status_code == 403
    assert Route.objects.get(pk=route.pk).approval == "pending"
    assert decide(login(quinn), route, "approve").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_developers_get_403_on_the_queue_its_count_and_decisions(login, alice, submit, htmx):
    route = submit()
    client = login(alice)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    assert client.get(reverse("routes:review_queue"), **headers).status_code == 403
    assert client.get(reverse("routes:review_count"), **headers).status_code == 403
    assert decide(client, route, "approve", htmx=htmx).status_code == 403
    assert decide(client, route, "reject", comment="x", htmx=htmx).status_code == 403
    assert Route.objects.get(pk=route.pk).approval == "pending"


@pytest.mark.django_db
def test_decisions_only_accept_post(login, pat, submit):
    route = submit()

    assert login(pat).get(reverse("routes:approve", args=[route.pk])).status_code == 405


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login_from_decisions(client, submit):
    route = submit()

    response = decide(client, route, "approve", htmx=False)

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Route.objects.get(pk=route.pk).approval == "pending"


@pytest.mark.django_db
def test_unknown_route_is_not_found(login, pat):
    assert login(pat).post(reverse("routes:approve", args=["00000000-0000-0000-0000-000000000000"])).status_code == 404


@pytest.mark.django_db
def test_empty_queue_says_so(login, pat):
    assert "All caught up." in login(pat).get(reverse("routes:review_queue")).content.decode()
