"""Notification tasks: thin. They take ids and call notifications.sending; the rows are the truth and the queue
only a wake-up call: ``enqueue`` sends after commit, and the beat sweep finds what a lost message left pending."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.tasks import RetryIn, instrumented_task

from .choices import DeliveryStatusChoices as Status
from .models import NotificationDelivery
from .sending import send_delivery

logger = logging.getLogger(__name__)

# A delivery no task has picked up this long after it fell due is re-enqueued by the sweep.
STUCK_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 500


@instrumented_task(name="notifications.tasks.send_notification")
def send_notification(delivery_id: int) -> str:
    """One attempt at one delivery. send_delivery counts the attempts and gives up after
    PORTICO_NOTIFY_MAX_ATTEMPTS, so the task retries whenever it plans another attempt."""
    outcome = send_delivery(delivery_id)
    if outcome.retry_in is not None:
        raise RetryIn(outcome.retry_in)
    return outcome.status


@instrumented_task(name="notifications.tasks.send_pending_notifications", acks_late=False, reject_on_worker_lost=False)
def send_pending_notifications() -> int:
    """Beat entry: re-enqueue deliveries that stayed pending (broker down, lost message, crashed worker)."""
    return len(enqueue_due())


def enqueue(delivery_ids: list[int], *, countdown: float | None = None) -> None:
    """Wake a worker for each delivery once the transaction commits. A broker that is down loses nothing:
    the rows stay pending and the beat sweep (``enqueue_due``) sends them later."""
    if not delivery_ids:
        return

    def send():
        for pk in delivery_ids:
            try:
                if countdown is None:
                    send_notification.apply_async((pk,))
                else:
                    send_notification.apply_async((pk,), countdown=countdown)
            except Exception as exc:  # noqa: BLE001 - broker down (any transport's error): the sweep will pick them up
                logger.warning(
                    "could not enqueue %s notification(s) (%s); the sweep will send them", len(delivery_ids), exc
                )
                return

    transaction.on_commit(send)


def enqueue_due(*, now: datetime | None = None) -> list[int]:
    """The beat sweep: re-enqueue pending deliveries due for more than STUCK_AFTER that no worker took."""
    now = now or timezone.now()
    ids = list(
        NotificationDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now - STUCK_AFTER)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    enqueue(ids)
    return ids
