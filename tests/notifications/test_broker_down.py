"""The broker is down when a revision is submitted: the request succeeds, the deliveries stay pending, and the
beat sweep sends them once it is back. Nothing is lost, and nothing is sent twice."""

from datetime import timedelta

import pytest
from django.db.models import F
from kombu.exceptions import OperationalError

from notifications import sending, tasks
from notifications.models import NotificationDelivery
from portico.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    monkeypatch.setattr(tasks.send_notification, "apply_async", refuse)
    return monkeypatch


def _a_minute_passes():
    NotificationDelivery.objects.update(next_attempt_at=F("next_attempt_at") - timedelta(seconds=61))


def test_deliveries_stay_pending_while_the_broker_is_down_and_the_sweep_sends_them(
    broker_down,
    receiver,
    make_webhook,
    submit,
    addresses,
    committed,
    eager_tasks,
    mailoutbox,
    caplog,
):
    make_webhook(receiver.url)

    with committed():
        route = submit()

    assert route.pk is not None  # the request itself succeeded
    pending = NotificationDelivery.objects.filter(status="pending", attempts=0)
    assert sorted(pending.values_list("target", flat=True)) == sorted(
        ["pat@example.com", "quinn@example.com", receiver.url]
    )
    assert receiver.requests == [] and mailoutbox == []
    assert "the sweep will send them" in caplog.text

    broker_down.undo()  # the broker is back
    with committed():
        assert tasks.send_pending_notifications.apply().get() == 0  # not stuck yet: a worker may still have it
    _a_minute_passes()
    with committed():
        assert tasks.send_pending_notifications.apply().get() == 3

    assert set(NotificationDelivery.objects.values_list("status", "attempts")) == {("delivered", 1)}
    assert len(receiver.requests) == 1
    assert sorted(m.to[0] for m in mailoutbox) == ["pat@example.com", "quinn@example.com"]

    _a_minute_passes()
    with committed():
        assert tasks.send_pending_notifications.apply().get() == 0  # delivered ones are never sent again
    assert len(receiver.requests) == 1


def test_a_retry_lost_with_the_broker_is_picked_up_by_the_sweep(receiver, make_webhook, submit, committed, eager_tasks):
    make_webhook(receiver.url)
    receiver.answer(500)
    submit()
    delivery = NotificationDelivery.objects.get()
    outcome = sending.send_delivery(delivery.pk)  # a worker's attempt; the retry it schedules is then lost
    assert outcome.status == "pending"

    with committed():
        assert tasks.send_pending_notifications.apply().get() == 0  # the retry is not due yet
    NotificationDelivery.objects.update(next_attempt_at=F("next_attempt_at") - timedelta(seconds=outcome.retry_in + 61))
    with committed():
        assert tasks.send_pending_notifications.apply().get() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == ("delivered", 2, 2)


def test_the_sweep_runs_on_beat():
    assert "notifications.tasks.send_pending_notifications" in app.tasks  # finalizes the app, which builds the schedule
    entry = app.conf.beat_schedule["send-pending-notifications"]
    assert entry["task"] == "notifications.tasks.send_pending_notifications"
    assert entry["schedule"] <= 60 and entry["options"]["expires"] <= 60
