"""Notification tasks: thin. They take ids and call notifications.delivery; the rows are the truth."""
from celery import shared_task

from . import delivery as notifications


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def send_notification(self, delivery_id: int) -> str:
    """One attempt at one delivery. notifications.send_delivery counts the attempts and gives up after
    PORTICO_NOTIFY_MAX_ATTEMPTS, so the task retries whenever it plans another attempt."""
    outcome = notifications.send_delivery(delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task
def send_pending_notifications() -> int:
    """Beat entry: re-enqueue deliveries that stayed pending (broker down, lost message, crashed worker)."""
    return len(notifications.enqueue_due())
