"""Notification tasks: thin. They take ids and call notifications.delivery; the rows are the truth."""
from core.tasks import RetryIn, instrumented_task

from . import delivery as notifications


@instrumented_task(name="notifications.tasks.send_notification")
def send_notification(delivery_id: int) -> str:
    """One attempt at one delivery. notifications.send_delivery counts the attempts and gives up after
    PORTICO_NOTIFY_MAX_ATTEMPTS, so the task retries whenever it plans another attempt."""
    outcome = notifications.send_delivery(delivery_id)
    if outcome.retry_in is not None:
        raise RetryIn(outcome.retry_in)
    return outcome.status


@instrumented_task(name="notifications.tasks.send_pending_notifications", acks_late=False,
                   reject_on_worker_lost=False)
def send_pending_notifications() -> int:
    """Beat entry: re-enqueue deliveries that stayed pending (broker down, lost message, crashed worker)."""
    return len(notifications.enqueue_due())
