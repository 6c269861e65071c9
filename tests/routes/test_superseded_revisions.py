"""A revision left pending under a newer one can never be decided: its history says "superseded"."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from routes import services
from routes.models import RouteRevision
from tests.api.conftest import api, url  # noqa: F401 - fixture
from tests.factories import spec


def approvals(route) -> dict[int, str]:
    return dict(RouteRevision.objects.filter(route=route).values_list("number", "approval"))


@pytest.mark.django_db
def test_a_new_revision_supersedes_the_pending_one(submit, alice):
    route = submit()
    route = services.edit_route(route, user=alice, spec=spec(path="/v2"))

    assert approvals(route) == {1: "superseded", 2: "pending"}
    assert route.approval == "pending"


@pytest.mark.django_db
def test_decided_revisions_stay_as_they_were_decided(approved_route, alice, pat):
    route = services.edit_route(approved_route, user=alice, spec=spec(path="/v2"))
    route = services.reject_route(route, user=pat, comment="no", revision=2)
    route = services.edit_route(route, user=alice, spec=spec(path="/v3"))
    route = services.edit_route(route, user=alice, spec=spec(path="/v4"))
    route = services.approve_route(route, user=pat, revision=4)

    assert approvals(route) == {1: "approved", 2: "rejected", 3: "superseded", 4: "approved"}


@pytest.mark.django_db
def test_history_shows_superseded_in_the_api_the_page_and_the_admin(api, submit, alice, pat, admin_client_as):
    from django.test import Client

    route = services.edit_route(submit(), user=alice, spec=spec(path="/v2"))
    route = services.approve_route(route, user=pat, revision=2)

    history = api(alice).get(url(route, "history")).json()
    assert [(r["number"], r["approval"]) for r in history["revisions"]] == [(2, "approved"), (1, "superseded")]
    page = Client()
    page.force_login(alice)
    html = page.get(route.get_absolute_url()).content.decode()
    assert '<span class="badge badge-grey" title="Approval: Superseded">Superseded</span>' in html
    assert "Pending review" not in html
    admin = admin_client_as(pat).get(f"/admin/routes/route/{route.pk}/change/").content.decode()
    assert "Superseded" in admin


@pytest.mark.django_db
def test_route_approval_never_offers_superseded(api, alice, submit):
    submit()
    schemas = api(alice).get("/api/schema/?format=json").json()["components"]["schemas"]
    assert schemas["Route"]["properties"]["approval"]["allOf"] == [{"$ref": "#/components/schemas/ApprovalEnum"}]
    assert schemas["ApprovalEnum"]["enum"] == ["pending", "approved", "rejected"]
    assert schemas["RevisionApprovalEnum"]["enum"] == ["pending", "approved", "rejected", "superseded"]
    assert api(alice).get(url() + "?approval=superseded").status_code == 400


@pytest.mark.django_db(transaction=True)
def test_the_migration_marks_existing_pending_revisions_under_a_newer_one(submit, alice, pat):
    route = services.edit_route(submit(), user=alice, spec=spec(path="/v2"))
    route = services.edit_route(route, user=alice, spec=spec(path="/v3"))
    other = submit("api", path="/api")
    RouteRevision.objects.all().update(approval="pending")  # as rows stood before superseded existed
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("routes", "0001_initial")])
        executor.loader.build_graph()
        executor.migrate([("routes", "0002_revision_superseded")])

        assert approvals(route) == {1: "superseded", 2: "superseded", 3: "pending"}
        assert approvals(other) == {1: "pending"}
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
