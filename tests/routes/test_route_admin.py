"""The admin goes through the same services: the four-eyes rule and policy hold there too."""

import pytest
from django.test import Client


def _action(client, action, route, **extra):
    return client.post(
        "/admin/routes/route/", {"action": action, "_selected_action": [str(route.pk)], **extra}, follow=True
    )


@pytest.mark.django_db
def test_admin_approve_action_approves(submit, pat, admin_client_as):
    route = submit()
    response = _action(admin_client_as(pat), "approve_selected", route)

    assert response.status_code == 200
    route.refresh_from_db()
    assert route.approval == "approved" and route.approved_revision == 1


@pytest.mark.django_db
def test_admin_approve_action_refuses_own_revision(submit, pat, admin_client_as):
    route = submit(user=pat)
    response = _action(admin_client_as(pat), "approve_selected", route)

    assert "another platform engineer" in response.content.decode()
    route.refresh_from_db()
    assert route.approval == "pending"


@pytest.mark.django_db
def test_admin_reject_action_asks_for_a_comment_then_rejects(submit, pat, admin_client_as):
    route = submit()
    client = admin_client_as(pat)

    page = _action(client, "reject_selected", route)
    assert "Why? The requester sees this." in page.content.decode()
    route.refresh_from_db()
    assert route.approval == "pending"

    _action(client, "reject_selected", route, comment="use port 80")
    route.refresh_from_db()
    assert route.approval == "rejected" and route.reviews.get().comment == "use port 80"


@pytest.mark.django_db
def test_admin_route_page_shows_pending_revision_against_approved(approved_route, alice, pat, admin_client_as):
    from routes import services
    from tests.factories import spec

    services.edit_route(approved_route, user=alice, spec=spec(path="/v2"))
    page = admin_client_as(pat).get(f"/admin/routes/route/{approved_route.pk}/change/").content.decode()

    assert "approved r1" in page and "pending r2" in page
    assert "-path: /" in page and "+path: /v2" in page


@pytest.mark.django_db
def test_admin_lists_routes_with_constant_queries(submit, pat, admin_client_as, django_assert_max_num_queries):
    client = admin_client_as(pat)
    submit()
    with django_assert_max_num_queries(12) as small:
        client.get("/admin/routes/route/")
    for i in range(20):
        submit(f"r{i}", host=f"r{i}.shop.example.com")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/admin/routes/route/").status_code == 200


@pytest.mark.django_db
def test_audit_events_are_read_only_in_admin(approved_route, pat, admin_client_as):
    client = admin_client_as(pat)
    from core.models import AuditEvent

    event = AuditEvent.objects.first()
    assert client.get("/admin/portal/auditevent/").status_code == 200
    assert client.post(f"/admin/portal/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_admin_change_page_shows_the_pending_change_as_the_route_page_does(submit, pat, admin_client_as, alice):
    route = submit()
    route_page_client = Client()
    route_page_client.force_login(alice)

    admin_page = admin_client_as(pat).get(f"/admin/routes/route/{route.pk}/change/").content.decode()
    route_page = route_page_client.get(f"/routes/{route.pk}/").content.decode()

    # Unset fields (null in the stored spec) are left out on both, so one revision reads the same everywhere.
    for page in (admin_page, route_page):
        assert "+host: cart.shop.example.com" in page
        assert "+  external_name: null" not in page
