import pytest
from django.core.exceptions import PermissionDenied

from routes import services


@pytest.mark.django_db
def test_edit_keeps_the_live_revision_until_the_new_one_is_approved(approved_route, alice, quinn):
    from tests.factories import spec

    route = services.edit_route(approved_route, user=alice, spec=spec(path="/v2"))

    assert (route.revision, route.approved_revision, route.approval) == (2, 1, "pending")
    assert route.revision_obj(1).path == "/" and route.path == "/v2"

    route = services.approve_route(route, user=quinn)
    assert (route.revision, route.approved_revision, route.approval) == (2, 2, "approved")


@pytest.mark.django_db
def test_rejected_edit_leaves_the_live_revision(approved_route, alice, quinn):
    from tests.factories import spec

    route = services.edit_route(approved_route, user=alice, spec=spec(path="/broken"))
    route = services.reject_route(route, user=quinn, comment="no")

    assert route.approved_revision == 1 and route.approval == "rejected"
    assert route.revision_obj(1).approval == "approved"


@pytest.mark.django_db
def test_edit_with_no_change_makes_no_revision(approved_route, alice):
    route = services.edit_route(approved_route, user=alice, spec=approved_route.latest_spec)
    assert route.revision == 1 and route.revisions.count() == 1


@pytest.mark.django_db
def test_another_team_cannot_edit(approved_route, bob):
    from tests.factories import spec

    with pytest.raises(PermissionDenied):
        services.edit_route(approved_route, user=bob, spec=spec(path="/x"))


@pytest.mark.django_db
def test_requester_of_the_edit_cannot_approve_it_even_as_platform(approved_route, pat, quinn):
    from tests.factories import spec

    route = services.edit_route(approved_route, user=pat, spec=spec(path="/admin"))
    with pytest.raises(PermissionDenied):
        services.approve_route(route, user=pat)
    assert services.approve_route(route, user=quinn).approved_revision == 2
