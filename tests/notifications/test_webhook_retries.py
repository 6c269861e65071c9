"""Transient failures (5xx, 429, connection errors) are retried with capped exponential backoff and jitter, then
given up with the error recorded; other 4xx answers are not retried. No test sleeps: the clock is injected, or the
task runs eagerly with no wait between attempts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import messages, sending, tasks
from notifications.models import NotificationDelivery

pytestmark = pytest.mark.django_db

ALWAYS_THE_FULL_STEP = lambda: 1.0  # noqa: E731 - jitter's random() at its maximum: the delay is the whole step


@pytest.fixture
def event(submit):
    """Record a "submitted" event (deliveries pending, nothing sent yet) and return its one webhook delivery."""

    def _event():
        submit()
        return NotificationDelivery.objects.get(webhook__isnull=False)

    return _event


def test_server_errors_are_retried_with_growing_delays_until_delivered(receiver, make_webhook, event):
    make_webhook(receiver.url)
    receiver.answer(500, 503)
    delivery = event()
    t0 = timezone.now()

    first = sending.send_delivery(delivery.pk, now=t0, rand=ALWAYS_THE_FULL_STEP)
    assert first == sending.Outcome("pending", retry_in=30.0)
    assert sending.send_delivery(delivery.pk, now=t0 + timedelta(seconds=29)).status == "skipped"  # not due
    second = sending.send_delivery(delivery.pk, now=t0 + timedelta(seconds=30), rand=ALWAYS_THE_FULL_STEP)
    assert second == sending.Outcome("pending", retry_in=60.0)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 2, 503)
    assert delivery.last_error == "HTTP 503 Service Unavailable"

    third = sending.send_delivery(delivery.pk, now=t0 + timedelta(seconds=90))

    assert third == sending.Outcome("delivered")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.last_error) == (
        "delivered",
        3,
        200,
        "",
    )
    assert len(receiver.requests) == 3
    # Every attempt is the same delivery: same id, same body, same signature, so receivers can deduplicate.
    assert (
        len({(r.headers["X-Portico-Delivery"], r.body, r.headers["X-Portico-Signature"]) for r in receiver.requests})
        == 1
    )


def test_the_task_retries_server_errors_and_delivers(receiver, make_webhook, event, monkeypatch):
    monkeypatch.setattr(sending, "backoff", lambda attempt, **kwargs: 0.0)  # eager retries run at once
    make_webhook(receiver.url)
    receiver.answer(500, 500)
    delivery = event()

    result = tasks.send_notification.apply(args=[delivery.pk])

    assert result.get() == "delivered"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert len(receiver.requests) == 3


def test_too_many_requests_is_retried_no_sooner_than_retry_after(receiver, make_webhook, event):
    make_webhook(receiver.url)
    receiver.answer(429, headers={"Retry-After": "300"})
    delivery = event()

    outcome = sending.send_delivery(delivery.pk)

    assert outcome.status == "pending" and outcome.retry_in == 300.0
    delivery.refresh_from_db()
    assert delivery.response_code == 429


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_client_errors_are_not_retried(receiver, make_webhook, event, status):
    make_webhook(receiver.url)
    receiver.answer(status)
    delivery = event()

    outcome = sending.send_delivery(delivery.pk)

    assert outcome == sending.Outcome("failed")
    assert sending.send_delivery(delivery.pk, now=timezone.now() + timedelta(days=1)).status == "skipped"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, status)
    assert delivery.last_error.startswith(f"HTTP {status}")
    assert len(receiver.requests) == 1


def test_a_redirect_is_not_followed(receiver, make_webhook, event):
    make_webhook(receiver.url)
    receiver.answer(302, headers={"Location": "http://127.0.0.1:1/elsewhere"})
    delivery = event()

    assert sending.send_delivery(delivery.pk).status == "failed"
    assert len(receiver.requests) == 1


def test_a_dead_port_is_retried_then_given_up_with_the_error_recorded(dead_url, make_webhook, event, settings):
    settings.PORTICO_NOTIFY_MAX_ATTEMPTS = 4
    make_webhook(dead_url)
    delivery = event()
    now = timezone.now()

    outcomes = []
    for _ in range(4):
        outcomes.append(sending.send_delivery(delivery.pk, now=now))
        now += timedelta(hours=2)

    assert [o.status for o in outcomes] == ["pending", "pending", "pending", "failed"]
    assert outcomes[-1].retry_in is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 4, None)
    assert "Connection refused" in delivery.last_error and "gave up after 4 attempts" in delivery.last_error
    assert sending.send_delivery(delivery.pk, now=now).status == "skipped"


def test_the_task_gives_up_on_a_dead_port_after_the_configured_attempts(
    dead_url, make_webhook, event, settings, monkeypatch
):
    settings.PORTICO_NOTIFY_MAX_ATTEMPTS = 3
    monkeypatch.setattr(sending, "backoff", lambda attempt, **kwargs: 0.0)
    make_webhook(dead_url)
    delivery = event()

    assert tasks.send_notification.apply(args=[delivery.pk]).get() == "failed"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)


def test_a_delivery_being_sent_is_not_sent_again_by_a_duplicate_wake_up(receiver, make_webhook, event):
    make_webhook(receiver.url)
    delivery = event()
    now = timezone.now()
    # Another worker claimed it a moment ago and is still sending.
    NotificationDelivery.objects.filter(pk=delivery.pk).update(attempts=1, next_attempt_at=now + timedelta(seconds=50))

    assert sending.send_delivery(delivery.pk, now=now).status == "skipped"
    assert receiver.requests == []


def test_a_deleted_delivery_is_skipped_quietly():
    assert tasks.send_notification.apply(args=[987654]).get() == "skipped"


@pytest.mark.parametrize(("attempt", "step"), [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (20, 3600)])
def test_backoff_doubles_per_attempt_up_to_an_hour_with_jitter(attempt, step):
    assert messages.backoff(attempt, rand=lambda: 1.0) == step
    assert messages.backoff(attempt, rand=lambda: 0.0) == step / 2
    assert messages.backoff(attempt, retry_after=5000, rand=lambda: 1.0) == 5000
