"""Turning a team's auto-approval on lets its revisions go live with nobody reviewing them: every write path
records its own audit event and tells every platform engineer (docs/security.md, "Four eyes")."""

import json

import pytest

from core.models import AuditEvent
from notifications.models import NotificationDelivery
from teams import services as team_services
from teams.models import Team
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _to(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


def assert_announced(mailoutbox, *, team="shop", actor="pat", to=("quinn@example.com",)):
    event = AuditEvent.objects.get(verb="enable_auto_approve")
    assert (event.actor_name, event.object_repr, event.before, event.after) == (
        actor,
        team,
        {"auto_approve": False},
        {"auto_approve": True},
    )
    assert _to(mailoutbox) == sorted(to)  # platform engineers, not the one who did it, not the team
    message = mailoutbox[0]
    assert message.subject == f"[Portico] Auto-approval turned on for team {team}"
    assert f"{actor} turned on auto-approval for team {team}" in message.body
    team_pk = Team.objects.get(slug=team).pk
    assert f"http://127.0.0.1:8000/admin/teams/team/{team_pk}/change/" in message.body
    assert message.extra_headers["X-Portico-Event"] == "auto_approve"
    assert set(NotificationDelivery.objects.values_list("event", "status")) == {("auto_approve", "delivered")}


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("owner", 403), ("other_team", 403), ("platform", 200)]
)
def test_api_switch_on_is_announced_and_only_by_platform(
    api, shop, alice, bob, pat, quinn, addresses, committed, eager_tasks, mailoutbox, role, status
):
    user = {"anonymous": None, "owner": alice, "other_team": bob, "platform": pat}[role]
    with committed():
        response = api(user).patch("/api/v1/teams/shop/", {"auto_approve": True}, format="json")

    assert response.status_code == status
    if status == 200:
        assert response.json()["auto_approve"] is True
        assert_announced(mailoutbox)
    else:
        assert not Team.objects.get(pk=shop.pk).auto_approve
        assert not AuditEvent.objects.filter(verb="enable_auto_approve").exists() and mailoutbox == []


def test_api_team_created_with_auto_approval_is_announced(
    api, pat, quinn, alice, addresses, committed, eager_tasks, mailoutbox
):
    with committed():
        response = api(pat).post(
            "/api/v1/teams/", {"slug": "secteam", "name": "Sec", "auto_approve": True}, format="json"
        )

    assert response.status_code == 201
    assert_announced(mailoutbox, team="secteam")


def test_admin_switch_on_is_announced(
    admin_client_as, shop, cluster, pat, quinn, addresses, committed, eager_tasks, mailoutbox
):
    row = shop.namespaces.get()
    data = {
        "slug": "shop",
        "name": "Shop",
        "domains": json.dumps(shop.domains),
        "auto_approve": "on",
        "namespaces-TOTAL_FORMS": "1",
        "namespaces-INITIAL_FORMS": "1",
        "namespaces-MIN_NUM_FORMS": "0",
        "namespaces-MAX_NUM_FORMS": "1000",
        "namespaces-0-id": str(row.pk),
        "namespaces-0-team": str(shop.pk),
        "namespaces-0-cluster": str(cluster.pk),
        "namespaces-0-namespace": "shop",
    }
    client = admin_client_as(pat)
    with committed():
        response = client.post(f"/admin/teams/team/{shop.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[-2000:]
    assert Team.objects.get(pk=shop.pk).auto_approve
    assert_announced(mailoutbox)


def test_the_service_used_by_commands_announces_too(shop, quinn, addresses, committed, eager_tasks, mailoutbox):
    shop.auto_approve = True
    with committed():
        team_services.update_team(shop, user=None)

    assert_announced(mailoutbox, actor="system", to=("pat@example.com", "quinn@example.com"))


def test_the_teams_subscribed_webhook_hears_it_too(api, shop, pat, receiver, make_webhook, committed, eager_tasks):
    make_webhook(receiver.url)
    with committed():
        api(pat).patch("/api/v1/teams/shop/", {"auto_approve": True}, format="json")

    [request] = receiver.requests
    body = json.loads(request.body)
    assert (request.headers["X-Portico-Event"], body["event"], body["actor"], body["team"]["slug"]) == (
        "auto_approve",
        "auto_approve",
        "pat",
        "shop",
    )


def test_switching_off_or_leaving_it_on_is_no_announcement(
    api, shop, pat, addresses, committed, eager_tasks, mailoutbox
):
    api(pat).patch("/api/v1/teams/shop/", {"auto_approve": True}, format="json")
    mailoutbox.clear()
    with committed():
        assert (
            api(pat).patch("/api/v1/teams/shop/", {"auto_approve": True, "name": "Shop!"}, format="json").status_code
            == 200
        )
        assert api(pat).patch("/api/v1/teams/shop/", {"auto_approve": False}, format="json").status_code == 200

    assert AuditEvent.objects.filter(verb="enable_auto_approve").count() == 1
    assert mailoutbox == []


def test_inactive_or_addressless_engineers_are_not_mailed(api, shop, pat, quinn, committed, eager_tasks, mailoutbox):
    make_user("rex", platform=True)  # no address
    quinn.email, quinn.is_active = "quinn@example.com", False
    quinn.save()
    with committed():
        api(pat).patch("/api/v1/teams/shop/", {"auto_approve": True}, format="json")

    assert mailoutbox == [] and AuditEvent.objects.filter(verb="enable_auto_approve").exists()
