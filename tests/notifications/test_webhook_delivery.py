"""A team's webhook receives each route event as JSON, signed with the shared secret, with event and delivery ids."""

import hashlib
import hmac
import json

import pytest

from notifications import messages
from notifications.models import NotificationDelivery
from routes import services
from tests.notifications.conftest import SECRET

pytestmark = pytest.mark.django_db


def _expected_signature(body: bytes) -> str:
    """What a receiver computes (docs/notifications.md), written out here independently of Portico's code."""
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_submitted_revision_is_posted_as_json_signed_with_the_shared_secret(
    receiver, make_webhook, submit, committed, eager_tasks
):
    make_webhook(receiver.url)

    with committed():
        route = submit()

    [request] = receiver.requests
    delivery = NotificationDelivery.objects.get()
    assert request.path == "/hooks/portico"
    assert request.headers["Content-Type"] == "application/json"
    assert hmac.compare_digest(request.headers["X-Portico-Signature"], _expected_signature(request.body))
    assert request.headers["X-Portico-Event"] == "submitted"
    assert request.headers["X-Portico-Delivery"] == str(delivery.pk)
    body = json.loads(request.body)
    assert body["event"] == "submitted" and body["actor"] == "alice"
    assert body["route"] == {
        "id": str(route.pk),
        "name": "cart",
        "team": "shop",
        "cluster": "prod-eu",
        "namespace": "shop",
        "host": "cart.shop.example.com",
        "path": "/",
        "url": "https://cart.shop.example.com/",
        "revision": 1,
        "approved_revision": None,
        "approval": "pending",
        "health": "Unknown",
        "link": f"http://127.0.0.1:8000/routes/{route.pk}/",
    }
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.last_error) == (
        "delivered",
        1,
        200,
        "",
    )
    assert delivery.delivered_at is not None


def test_approval_carries_the_reviewer_and_comment(receiver, make_webhook, submit, pat, committed, eager_tasks):
    route = submit()
    make_webhook(receiver.url)

    with committed():
        services.approve_route(route, user=pat, comment="Looks good, ship it.")

    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["event"] == "approved" and body["actor"] == "pat"
    assert body["review"] == {"revision": 1, "comment": "Looks good, ship it."}
    assert body["route"]["approved_revision"] == 1


def test_a_tampered_body_does_not_verify(receiver, make_webhook, submit, committed, eager_tasks):
    make_webhook(receiver.url)
    with committed():
        submit()
    [request] = receiver.requests

    assert messages.verify(SECRET, request.body, request.headers["X-Portico-Signature"])
    tampered = request.body.replace(b'"cart"', b'"kart"')
    assert not messages.verify(SECRET, tampered, request.headers["X-Portico-Signature"])
    assert not messages.verify("another-secret-entirely", request.body, request.headers["X-Portico-Signature"])


def test_only_active_webhooks_subscribed_to_the_event_receive_it(
    receiver, make_webhook, submit, committed, eager_tasks, other_team
):
    make_webhook(receiver.url + "?sub=approved", events=["approved"])
    make_webhook(receiver.url + "?sub=inactive", active=False)
    make_webhook(receiver.url + "?sub=other-team", team=other_team)
    make_webhook(receiver.url + "?sub=submitted", events=["submitted", "rejected"])

    with committed():
        submit()

    assert [r.path for r in receiver.requests] == ["/hooks/portico?sub=submitted"]
    assert NotificationDelivery.objects.count() == 1
