"""The webhook secret is write-only: it never appears in the admin's pages, a payload, a request body, the logs,
the audit trail or the admin's change history. Only the HMAC made with it leaves Portico."""

import logging

import pytest
from django.contrib.admin.models import LogEntry

from core.models import AuditEvent
from notifications import messages, sending
from notifications.models import NotificationDelivery, TeamWebhook
from routes import services
from tests.notifications.conftest import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def everything_logged(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_the_secret_never_leaves_portico(
    client, pat, shop, receiver, dead_url, submit, committed, eager_tasks, everything_logged, monkeypatch, settings
):
    settings.PORTICO_NOTIFY_MAX_ATTEMPTS = 2
    monkeypatch.setattr(sending, "backoff", lambda attempt, **kwargs: 0.0)
    pat.is_staff = True
    pat.save()
    client.force_login(pat)
    form = {"team": shop.pk, "events": ["submitted", "approved", "rejected"], "active": "on", "secret": SECRET}
    assert client.post("/admin/notifications/teamwebhook/add/", {**form, "url": receiver.url}).status_code == 302
    assert client.post("/admin/notifications/teamwebhook/add/", {**form, "url": dead_url}).status_code == 302
    receiver.answer(500)

    with committed():
        route = submit()
    with committed():
        services.reject_route(route, user=pat, comment="no")
    webhook = TeamWebhook.objects.get(url=receiver.url)
    client.post("/admin/notifications/teamwebhook/", {"action": "send_test", "_selected_action": [webhook.pk]})

    # submitted (500, then retried: 200), rejected, test; the dead URL gave up on submitted and rejected.
    assert len(receiver.requests) == 4 and NotificationDelivery.objects.filter(status="failed").count() == 2
    pages = [
        "/admin/notifications/teamwebhook/",
        f"/admin/notifications/teamwebhook/{webhook.pk}/change/",
        "/admin/notifications/teamwebhook/add/",
        f"/admin/notifications/teamwebhook/{webhook.pk}/history/",
        "/admin/notifications/notificationdelivery/",
        *[
            f"/admin/notifications/notificationdelivery/{pk}/change/"
            for pk in NotificationDelivery.objects.values_list("pk", flat=True)
        ],
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert SECRET not in response.content.decode(), page
    assert 'name="secret"' in client.get(pages[1]).content.decode()  # the field is there, empty
    for delivery in NotificationDelivery.objects.all():
        assert SECRET not in messages.encode(delivery.payload).decode() and SECRET not in delivery.last_error
    for request in receiver.requests:
        assert SECRET.encode() not in request.body and SECRET not in str(request.headers)
    assert "Connection refused" in everything_logged.text  # the failures were logged...
    assert SECRET not in everything_logged.text  # ...without the secret
    assert not [e for e in AuditEvent.objects.all() if SECRET in f"{e.before} {e.after} {e.object_repr}"]
    assert not [e for e in LogEntry.objects.all() if SECRET in f"{e.change_message} {e.object_repr}"]
    assert all(SECRET not in w.secret_encrypted for w in TeamWebhook.objects.all())
